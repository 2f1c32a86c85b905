export { buildReconcilerApp } from './app.js'
export { type ReconcileSourceConfig, type ReconcilerConfig, loadReconcilerConfig } from './config.js'
export { type ReconcilerCore, startReconcilerCore } from './start.js'
export { startSchedule } from './scheduler.js'
export { type ConfiguredTarget, buildTargets, targetFor } from './targets.js'
export {
  RECONCILED_EVENT_TYPE,
  type ReconcileTarget,
  Reconciler,
  type RunOptions,
  type RunProgress,
  correctiveProviderEventId,
} from './run/reconciler.js'
export { DRIFT_KINDS, type DriftKind, classify } from './run/classify.js'
export { type RunReport, summarise } from './run/report.js'
export { REVIEW_ACTIONS, type ReviewAction, type ReviewItem, ReviewService } from './review/review-service.js'
export type {
  EntityComparison,
  RemotePage,
  RemoteRecord,
  RemoteSource,
  RemoteStats,
} from './remote/remote-source.js'
export { StripeCustomersSource, stripeCustomerComparison } from './remote/stripe-customers.js'
export { GithubIssuesSource, githubIssueComparison } from './remote/github-issues.js'
