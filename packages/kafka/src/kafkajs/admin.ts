import { setTimeout as sleep } from 'node:timers/promises'
import { type Logger, silentLogger } from '@integration-ledger/core'
import kafkajs, { type Admin } from 'kafkajs'
import { toBrokerError } from '../errors.js'
import type { AdminTransport, PartitionOffsets, TopicPartitionOffset, TopicSpec } from '../types.js'

/** How long `ensureTopics` keeps retrying a broker that is still starting. */
const ENSURE_TOPICS_TIMEOUT_MS = 30_000

async function createTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: specs.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor,
        configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
      })),
    })
  } catch (err) {
    // Another replica may have created the same topics between our list and create.
    if (!(err instanceof Error && /already exists/i.test(err.message))) throw err
  }
}

/** Topic configs that existing topics are brought up to when they are below the declaration. */
const RAISED_CONFIGS = ['max.message.bytes']
// Node's ESM view of kafkajs (CommonJS) lacks these named exports.
const { ConfigResourceTypes, ConfigSource } = kafkajs

/**
 * Raises the size limits of topics that exist with less than the declaration gives them (created
 * before the limit was declared, or by hand), so a record the topology promises to take is never
 * refused. Only ever raises. kafkajs has only the non-incremental AlterConfigs, which resets every
 * topic config not named, so the topic's own settings are read first and sent along.
 */
async function raiseLimits(admin: Admin, specs: readonly TopicSpec[], logger: Logger): Promise<void> {
  try {
    await raise(admin, specs)
  } catch (err) {
    // Not fatal: a cluster that lets us neither read nor change topic configs keeps its limits,
    // and a record over them is answered RECORD_TOO_LARGE, alone.
    logger.warn(
      { err, topics: specs.map((s) => s.topic) },
      'could not check or raise the size limit (max.message.bytes) of existing topics; records over their current limit will be refused',
    )
  }
}

async function raise(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  const wanted = specs.filter((spec) => RAISED_CONFIGS.some((name) => spec.config[name] !== undefined))
  if (wanted.length === 0) return
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: wanted.map((spec) => ({ type: ConfigResourceTypes.TOPIC, name: spec.topic })),
  })
  const resources = []
  for (const resource of described.resources) {
    const spec = wanted.find((s) => s.topic === resource.resourceName)
    if (!spec) continue
    const current = new Map(resource.configEntries.map((e) => [e.configName, e]))
    const raise = RAISED_CONFIGS.filter((name) => {
      const declared = spec.config[name]
      return declared !== undefined && Number(current.get(name)?.configValue ?? 0) < Number(declared)
    })
    if (raise.length === 0) continue
    const own = resource.configEntries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG)
    // A value the broker does not show cannot be sent back; leave such a topic as it is.
    if (own.some((e) => e.configValue === null)) continue
    const entries = new Map(own.map((e) => [e.configName, e.configValue]))
    for (const name of raise) entries.set(name, spec.config[name] ?? '')
    resources.push({
      type: ConfigResourceTypes.TOPIC,
      name: spec.topic,
      configEntries: [...entries].map(([name, value]) => ({ name, value })),
    })
  }
  if (resources.length > 0) await admin.alterConfigs({ validateOnly: false, resources })
}

export function createKafkajsAdmin(admin: Admin, logger: Logger = silentLogger): AdminTransport {
  return {
    async connect() {
      try {
        await admin.connect()
      } catch (err) {
        throw toBrokerError(err, 'admin connect')
      }
    },

    /** Also raises size limits of existing topics below their declaration (`raiseLimits`). */
    async ensureTopics(specs: readonly TopicSpec[]) {
      // A broker that has just started answers requests a moment before the controller lets it
      // host partitions ("This server does not host this topic-partition"); services that start
      // with it keep trying instead of failing their start-up.
      const deadline = Date.now() + ENSURE_TOPICS_TIMEOUT_MS
      const created = new Set<string>()
      for (let attempt = 0; ; attempt++) {
        try {
          const existing = new Set(await admin.listTopics())
          const missing = specs.filter((spec) => !existing.has(spec.topic))
          await raiseLimits(
            admin,
            specs.filter((spec) => existing.has(spec.topic)),
            logger,
          )
          if (missing.length === 0) return [...created]
          await createTopics(admin, missing)
          for (const spec of missing) created.add(spec.topic)
          return [...created]
        } catch (err) {
          const error = toBrokerError(err, 'create topics')
          if (!error.retryable || Date.now() > deadline) throw error
          await sleep(Math.min(2000, 250 * 2 ** attempt))
        }
      }
    },

    listTopics: () => admin.listTopics(),

    async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
      const offsets = await admin.fetchTopicOffsets(topic)
      return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }))
    },

    async groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]> {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
      return (entry?.partitions ?? []).map((p) => ({ topic, partition: p.partition, offset: p.offset }))
    },

    async deleteTopics(topics: readonly string[]) {
      await admin.deleteTopics({ topics: [...topics] })
    },

    disconnect: () => admin.disconnect(),
  }
}
