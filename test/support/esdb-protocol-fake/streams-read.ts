/**
 * Streams.Read: reads of one stream (forwards/backwards, from a revision, a count), reads of $all
 * from a position, and catch-up subscriptions to $all that turn live with no gap and no duplicate.
 * Filtered reads and stream subscriptions are answered UNIMPLEMENTED: APEX does not use them.
 */
import { randomUUID } from 'node:crypto';
import { type ServerWritableStream, status } from '@grpc/grpc-js';
import { ReadReq, type ReadRequest, ReadResp, type ReadResponse } from './generated-protocol.js';
import { type NodeRole, notLeaderError, notReadyError, requiresLeader } from './node-role.js';
import type { LogRecord, TransactionLog } from './transaction-log.js';
import {
  grpcError,
  ProtocolViolation,
  type ReadEventOptions,
  readEventResponse,
  streamNameOf,
  streamNotFoundResponse,
} from './wire.js';

export interface ReadBehaviour {
  /** Report positions on stream reads, as servers since 22.10 do. */
  readonly positionsOnStreamReads: boolean;
}

type ReadCall = ServerWritableStream<ReadRequest, ReadResponse>;
type ReadOptions = InstanceType<typeof ReadReq.Options>;

const { StreamOptionCase, CountOptionCase, FilterOptionCase, ReadDirection, UUIDOption } = ReadReq.Options;
const { RevisionOptionCase } = ReadReq.Options.StreamOptions;
const { AllOptionCase } = ReadReq.Options.AllOptions;

/** Resolves once the call can take more, or once the client has gone (then `isCancelled()` says so). */
const writeWithBackpressure = async (call: ReadCall, response: ReadResponse): Promise<void> => {
  if (call.write(response)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
};

const writeAll = async (call: ReadCall, records: Iterable<LogRecord>, options: ReadEventOptions): Promise<void> => {
  for (const record of records) {
    if (call.cancelled) return;
    await writeWithBackpressure(call, readEventResponse(record, options));
  }
};

function* take<T>(items: Iterable<T>, count: bigint): Generator<T> {
  let taken = 0n;
  for (const item of items) {
    if (taken >= count) return;
    taken += 1n;
    yield item;
  }
}

function* forwardsFrom<T>(items: readonly T[], start: number): Generator<T> {
  for (let index = Math.max(0, start); index < items.length; index += 1) yield items[index]!;
}

function* backwardsFrom<T>(items: readonly T[], start: number): Generator<T> {
  for (let index = Math.min(start, items.length - 1); index >= 0; index -= 1) yield items[index]!;
}

const readStream = async (
  log: TransactionLog,
  call: ReadCall,
  options: ReadOptions,
  eventOptions: ReadEventOptions,
) => {
  const streamOptions = options.getStream()!;
  const stream = streamNameOf(streamOptions.getStreamIdentifier());
  const records = log.stream(stream);
  if (records === undefined) {
    call.write(streamNotFoundResponse(stream));
    return;
  }
  const forwards = options.getReadDirection() === ReadDirection.FORWARDS;
  const revision = (): number => Number(streamOptions.getRevision());
  const selected =
    streamOptions.getRevisionOptionCase() === RevisionOptionCase.START
      ? forwards
        ? forwardsFrom(records, 0)
        : backwardsFrom(records, 0)
      : streamOptions.getRevisionOptionCase() === RevisionOptionCase.END
        ? forwards
          ? forwardsFrom(records, records.length)
          : backwardsFrom(records, records.length - 1)
        : forwards
          ? forwardsFrom(records, revision())
          : backwardsFrom(records, revision());
  await writeAll(call, take(selected, BigInt(options.getCount())), eventOptions);
};

/** Forwards from a position includes the event at it; backwards from a position starts strictly before it. */
const readAll = async (log: TransactionLog, call: ReadCall, options: ReadOptions, eventOptions: ReadEventOptions) => {
  const allOptions = options.getAll()!;
  const forwards = options.getReadDirection() === ReadDirection.FORWARDS;
  const records = log.records;
  const positionIndex = (): number => log.indexAtOrAfter(BigInt(allOptions.getPosition()!.getCommitPosition()));
  const selected =
    allOptions.getAllOptionCase() === AllOptionCase.START
      ? forwards
        ? forwardsFrom(records, 0)
        : backwardsFrom(records, -1)
      : allOptions.getAllOptionCase() === AllOptionCase.END
        ? forwards
          ? forwardsFrom(records, records.length)
          : backwardsFrom(records, records.length - 1)
        : forwards
          ? forwardsFrom(records, positionIndex())
          : backwardsFrom(records, positionIndex() - 1);
  await writeAll(call, take(selected, BigInt(options.getCount())), eventOptions);
};

/**
 * Confirmation, then every event after the start (exclusive, like the server's subscriptions),
 * then `caught_up`, then live events. One cursor walks the log for both phases: an append that
 * lands while the catch-up waits for the client is simply further along the same walk.
 */
const subscribeToAll = async (
  log: TransactionLog,
  call: ReadCall,
  options: ReadOptions,
  eventOptions: ReadEventOptions,
) => {
  const allOptions = options.getAll()!;
  let cursor =
    allOptions.getAllOptionCase() === AllOptionCase.START
      ? 0
      : allOptions.getAllOptionCase() === AllOptionCase.END
        ? log.records.length
        : log.indexAtOrAfter(BigInt(allOptions.getPosition()!.getCommitPosition()) + 1n);
  let wakeUp: (() => void) | undefined;
  const stopListening = log.onAppended(() => wakeUp?.());
  const cancelled = new Promise<void>((resolve) => call.once('cancelled', resolve));
  try {
    await writeWithBackpressure(
      call,
      new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID())),
    );
    let caughtUp = false;
    while (!call.cancelled) {
      while (cursor < log.records.length && !call.cancelled) {
        await writeWithBackpressure(call, readEventResponse(log.records[cursor]!, eventOptions));
        cursor += 1;
      }
      if (call.cancelled) return;
      if (!caughtUp) {
        caughtUp = true;
        await writeWithBackpressure(call, new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));
        continue;
      }
      await Promise.race([new Promise<void>((resolve) => (wakeUp = resolve)), cancelled]);
      wakeUp = undefined;
    }
  } finally {
    stopListening();
  }
};

/** Any node serves reads, unless the call insists on the leader (`requires-leader: true`). */
const refusalOfRead = (node: NodeRole, call: ReadCall) => {
  if (!requiresLeader(call.metadata)) return undefined;
  const leader = node.leader();
  if (leader === 'self') return undefined;
  if (leader === 'none') return notReadyError();
  node.stats.notLeaderRefusals += 1;
  return notLeaderError(leader);
};

const serveRead = async (log: TransactionLog, behaviour: ReadBehaviour, node: NodeRole, call: ReadCall) => {
  const refusal = refusalOfRead(node, call);
  if (refusal !== undefined) {
    call.emit('error', refusal);
    return;
  }
  const options = call.request.getOptions();
  if (options === undefined) throw new ProtocolViolation('read options are required');
  if (options.getFilterOptionCase() === FilterOptionCase.FILTER) {
    call.emit('error', grpcError(status.UNIMPLEMENTED, 'server-side filters are not implemented by the protocol fake'));
    return;
  }
  const uuidAsString = options.getUuidOption()?.getContentCase() === UUIDOption.ContentCase.STRING;
  const subscription = options.getCountOptionCase() === CountOptionCase.SUBSCRIPTION;
  const ofAll = options.getStreamOptionCase() === StreamOptionCase.ALL;
  if (subscription && !ofAll) {
    call.emit(
      'error',
      grpcError(status.UNIMPLEMENTED, 'stream subscriptions are not implemented by the protocol fake'),
    );
    return;
  }
  const withPosition = ofAll || behaviour.positionsOnStreamReads;
  if (subscription) {
    node.stats.subscriptionsServed += 1;
    await subscribeToAll(log, call, options, { uuidAsString, withPosition });
  } else if (ofAll) await readAll(log, call, options, { uuidAsString, withPosition });
  else await readStream(log, call, options, { uuidAsString, withPosition });
  if (!call.cancelled) call.end();
};

export const readHandler =
  (log: TransactionLog, behaviour: ReadBehaviour, node: NodeRole) =>
  (call: ReadCall): void => {
    serveRead(log, behaviour, node, call).catch((error: unknown) => {
      const details = error instanceof Error ? error.message : String(error);
      const code = error instanceof ProtocolViolation ? status.INVALID_ARGUMENT : status.INTERNAL;
      if (!call.cancelled) call.emit('error', grpcError(code, details));
    });
  };
