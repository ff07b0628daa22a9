import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureConnection } from './schema.js';
import { prepareStatements } from './statements.js';
import type { PreparedAppend } from './validate-append.js';
import { WalSync } from './wal-sync.js';
import { writeBatch } from './write-batch.js';
import {
  carryError,
  type FlatOutcomes,
  type FromWriter,
  flattenOutcomes,
  type ToWriter,
  unflattenBatch,
  type WriterOptions,
} from './writer-protocol.js';

/**
 * The store's writer thread: one SQLite connection that hashes, inserts and commits the batches the
 * main thread sends, one transaction per batch, and answers each batch once COMMIT returned and, with
 * 'durable', once an fdatasync of the WAL that started after that COMMIT has finished (WalSync, on
 * this thread's own libuv pool). The next batch may commit while the previous one is being synced, so
 * the disk's latency stalls neither the protocol work on the main thread nor this thread's commits.
 */
const port = parentPort;
if (port === null) throw new Error('writer-thread.ts runs as a worker thread');
const options = workerData as WriterOptions;
const post = (message: FromWriter): void => port.postMessage(message);

interface Writer {
  readonly db: Database.Database;
  readonly commitBatch: (appends: readonly PreparedAppend[]) => ReturnType<typeof writeBatch>;
  readonly walSync: WalSync | undefined;
}

const open = (): Writer | undefined => {
  try {
    const db = new Database(options.path);
    configureConnection(db, options.busyTimeoutMs);
    const statements = prepareStatements(db);
    const transaction = db.transaction((appends: readonly PreparedAppend[]) => writeBatch(statements, appends));
    return {
      db,
      commitBatch: (appends) => transaction.immediate(appends),
      walSync: options.durable ? new WalSync(`${options.path}-wal`) : undefined,
    };
  } catch (error) {
    post({ kind: 'broken', error: carryError(error) });
    return undefined;
  }
};

const writer = open();
if (writer === undefined) port.close();
else post({ kind: 'ready' });

const close = async ({ db, walSync }: Writer): Promise<void> => {
  await walSync?.close();
  db.close();
  post({ kind: 'closed' });
  port.close();
};

port.on('message', (message: ToWriter) => {
  if (writer === undefined) return;
  if (message.kind === 'close') {
    void close(writer);
    return;
  }
  let outcomes: FlatOutcomes;
  try {
    outcomes = flattenOutcomes(writer.commitBatch(unflattenBatch(message.appends)));
  } catch (error) {
    post({ kind: 'failed', batch: message.batch, error: carryError(error) });
    return;
  }
  if (writer.walSync === undefined) {
    post({ kind: 'committed', batch: message.batch, outcomes });
    return;
  }
  writer.walSync.sync().then(
    () => post({ kind: 'committed', batch: message.batch, outcomes }),
    // Committed but not known durable: nobody may take these appends as acknowledged.
    (error: unknown) => post({ kind: 'failed', batch: message.batch, error: carryError(error) }),
  );
});
