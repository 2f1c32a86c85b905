import { LedgerError } from '@integration-ledger/core'
import type { EventSchemas } from '../contract/contract.js'
import type {
  BatchContext,
  ConsumedEvent,
  ContractHandlers,
  SubscribeOptions,
  SubscriptionSettings,
  TypedSubscribeOptions,
} from './types.js'

/** Either form of `subscribe`'s options. */
export type AnySubscribeOptions = SubscribeOptions | TypedSubscribeOptions<EventSchemas>

/** Both forms' fields, as a caller without the type check (JavaScript) may mix them. */
type MixedOptions = SubscriptionSettings &
  Partial<Pick<ContractHandlers<EventSchemas>, 'events' | 'handlers' | 'fallback'>> &
  Pick<SubscribeOptions, 'handleBatch' | 'handleEvent'>

/**
 * Turns the typed form of the options into the untyped one: one `handleEvent` that dispatches on
 * the event type, parses and validates the payload, and calls the type's handler. A payload that
 * fails throws `PermanentError('VALIDATION_FAILED')` from there, so the batch processor and the
 * retry router treat it as any other permanent failure (DLQ at once, the rest of the batch goes
 * on); there is no second path for validation.
 * @throws LedgerError CONFIG_INVALID when the two forms are mixed or a handler names an undeclared type.
 */
export function toUntypedOptions(options: AnySubscribeOptions): SubscribeOptions {
  if (!('events' in options) && !('handlers' in options)) return options
  const {
    events: contract,
    handlers,
    fallback,
    handleBatch,
    handleEvent: givenHandleEvent,
    ...settings
  } = options as MixedOptions
  if (handleBatch || givenHandleEvent) {
    throw new LedgerError(
      'CONFIG_INVALID',
      'subscribe: give either events and handlers (typed) or handleBatch/handleEvent, not both.',
    )
  }
  if (!contract || !handlers) {
    throw new LedgerError(
      'CONFIG_INVALID',
      'subscribe: the typed form needs both events (a contract) and handlers.',
    )
  }
  const undeclared = Object.keys(handlers).filter((type) => !contract.has(type))
  if (undeclared.length > 0) {
    throw new LedgerError(
      'CONFIG_INVALID',
      `subscribe: handlers for ${undeclared.join(', ')}, not declared in the contract (declared: ${contract.types.join(', ')}).`,
    )
  }

  const handleEvent = async (consumed: ConsumedEvent, ctx: BatchContext): Promise<void> => {
    const type = consumed.event.type
    const handler = Object.hasOwn(handlers, type) ? handlers[type] : undefined
    if (!handler) {
      if (fallback) await fallback(consumed, ctx)
      return
    }
    const payload = contract.parse(type, consumed.event.rawBody)
    await handler({ ...consumed, type, payload }, ctx)
  }
  return { ...settings, handleEvent }
}
