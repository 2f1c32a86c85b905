/** Time source, injectable so that tolerance windows and retry due-times can be tested. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }
