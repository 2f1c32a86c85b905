import { Partitioners, type ICustomPartitioner } from 'kafkajs'

/**
 * kafkajs' default partitioner (murmur2 on the key, as the Java client, so an entity's events land
 * on the same partition whichever client produced them) that writes its choice into the message.
 * A resend of the same message then goes to the same partition even if the topic gained
 * partitions meanwhile or the key is null (round robin): the resend rule needs the same partition
 * to get the same sequence numbers, and the producer learns which partition each record went to,
 * to send a refused request again partition by partition (see producer.ts).
 */
export const pinningPartitioner: ICustomPartitioner = () => {
  const choose = Partitioners.DefaultPartitioner()
  return (args) => {
    const partition = choose(args)
    args.message.partition = partition
    return partition
  }
}
