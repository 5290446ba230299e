/** Topic names and the gossipsub topics they travel on (see protocols/topics.md). */
import { MAX_TOPIC_NAME_LENGTH, TOPIC_NAME_PATTERN, TOPIC_PREFIX } from '../constants.ts'
import { InvalidArgumentError } from '../errors.ts'

/** Checks a topic name; throws `InvalidArgumentError` that says what is allowed. */
export function checkTopicName(name: unknown): string {
  if (typeof name !== 'string' || !TOPIC_NAME_PATTERN.test(name))
    throw new InvalidArgumentError(
      `invalid topic name ${JSON.stringify(name)}: expected 1–${MAX_TOPIC_NAME_LENGTH} letters, digits, ".", "-", "_" or "/"`,
    )
  return name
}

/** The gossipsub topic of a topic name. */
export function gossipTopic(name: string): string {
  return `${TOPIC_PREFIX}${name}`
}

/** The topic name of a gossipsub topic, or undefined when it is not a Cord topic. */
export function topicName(gossip: string): string | undefined {
  if (!gossip.startsWith(TOPIC_PREFIX)) return undefined
  const name = gossip.slice(TOPIC_PREFIX.length)
  return TOPIC_NAME_PATTERN.test(name) ? name : undefined
}
