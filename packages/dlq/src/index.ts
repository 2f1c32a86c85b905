export { DlqOperations, type DlqOperationsOptions, REPLAYED_FROM_HEADER } from './operations.js'
export { refKey } from './action-store.js'
export type { CatchUpOptions } from './indexer.js'
export type {
  DlqActionOptions,
  DlqActionResult,
  DlqFilter,
  DlqPage,
  DlqPageOptions,
  DlqRecordDetail,
  DlqRecordRef,
  DlqRecordView,
  DlqSelection,
  DlqStatus,
} from './types.js'
