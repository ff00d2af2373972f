import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { within } from './membership-timers.js';
import { bucketKeySubject, bucketStream } from './subjects.js';

/** A running watch of a KV bucket: its current values first, then every change. */
export interface BucketWatch {
  /** Resolves once the values the bucket held when the watch began are delivered. */
  readonly loaded: Promise<void>;
  /** Resolves when the watch ends, by {@link BucketWatch.stop} or on its own (its consumer lost). */
  readonly ended: Promise<void>;
  /** Ends the watch and deletes its consumer (best effort, within `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Watches every key of `bucket`: `onEntry` gets each entry as JetStream delivers it (the last value
 * of each key, then puts and deletes as they happen). What `kv.watch()` does, with what a membership
 * needs besides: knowing when the initial values are in, from the consumer's pending count (an
 * empty bucket delivers nothing to wait for). An ordered push consumer: it recreates itself on a
 * gap; a NATS restart, which loses a memory bucket and its sequence, needs a new watch.
 */
export async function watchBucket(
  js: JetStreamClient,
  bucket: string,
  onEntry: (entry: JsMsg) => void,
): Promise<BucketWatch> {
  const consumer = await js.consumers.getPushConsumer(bucketStream(bucket), {
    filter_subjects: bucketKeySubject(bucket, '>'),
    deliver_policy: DeliverPolicy.LastPerSubject,
  });
  const { num_pending: initial } = await consumer.info(true);
  let markLoaded: () => void = () => {};
  const loaded = new Promise<void>((resolve) => {
    markLoaded = resolve;
  });
  let received = 0;
  let loading = initial > 0;
  if (!loading) markLoaded();
  const messages = await consumer.consume({
    callback: (entry) => {
      onEntry(entry);
      if (!loading) return;
      received += 1;
      if (received >= initial || entry.info.pending === 0) {
        loading = false;
        markLoaded();
      }
    },
  });
  const ended = messages.closed().then(
    () => {},
    () => {},
  );
  return {
    loaded,
    ended,
    async stop(timeoutMs = 1_000) {
      messages.stop();
      await within(consumer.delete(), timeoutMs, 'deleting the watch consumer').catch(() => {});
    },
  };
}
