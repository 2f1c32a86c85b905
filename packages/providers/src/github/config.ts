import type { z } from 'zod'
import { entitySchema, sourceSchema } from '../config/source-fields.js'

/** Schema of a GitHub webhook's source. */
export const githubConfigSchema = sourceSchema('github', {
  /** Overrides of the GitHub defaults, field by field. */
  entity: entitySchema.optional(),
})

/** A GitHub webhook. */
export type GithubSource = z.output<typeof githubConfigSchema>
