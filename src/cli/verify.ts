import type { EventStore } from '../store/event-store.js';
import { openStore, parseStoreUrl } from '../store/open-store.js';
import { type AuditCheckpoint, type ChainBroken, verifyAgainstDigest, verifyChain } from '../store/verify.js';
import { CliError } from './cli-error.js';
import { createProgress, type Progress } from './progress.js';

export interface VerifyOptions {
  readonly store: string;
  /** Verify only events after this position. */
  readonly from?: string;
  /** Print only the audit checkpoint, `POSITION:DIGEST`. */
  readonly digest?: boolean;
  /** An audit checkpoint kept elsewhere, `POSITION:DIGEST`, to check the log against. */
  readonly against?: string;
}

/** Exit codes a script can rely on. */
export const VERIFY_OK = 0;
export const VERIFY_FAILED = 1;

export const formatCheckpoint = (checkpoint: AuditCheckpoint): string => `${checkpoint.position}:${checkpoint.digest}`;

export const parseCheckpoint = (text: string): AuditCheckpoint => {
  const match = /^(-1|\d+):([0-9a-f]{64})$/.exec(text.trim());
  if (match === null) {
    throw new CliError(
      `--against ${JSON.stringify(text)} is not an audit checkpoint: expected POSITION:DIGEST as printed by apex verify --digest`,
    );
  }
  return { position: BigInt(match[1]!), digest: match[2]! };
};

const parseFrom = (from: string | undefined): bigint | undefined => {
  if (from === undefined) return undefined;
  if (!/^\d+$/.test(from)) throw new CliError(`--from ${JSON.stringify(from)} is not a position (digits)`);
  return BigInt(from);
};

const describeBroken = (report: ChainBroken): string => {
  const broken = report.firstBroken;
  return `BROKEN: event at position ${broken.position} (${broken.stream} revision ${broken.revision}): ${broken.reason}\n`;
};

/**
 * Events the run will check, for the progress bar's percentage. Only SQLite's positions are dense
 * (1, 2, 3, …); elsewhere the bar shows a count and a rate, without a guess at the total.
 */
const expectedEvents = async (
  store: EventStore,
  url: string,
  after: bigint,
  upTo?: bigint,
): Promise<number | undefined> => {
  if (parseStoreUrl(url).engine !== 'sqlite') return undefined;
  const head = await store.headPosition();
  const last = upTo === undefined || upTo > head ? head : upTo;
  return Math.max(0, Number(last - (after < 0n ? 0n : after)));
};

/**
 * `apex verify`: 0 when every stream's chain holds (and, with --against, the heads digest at the
 * checkpoint's position is the one kept), 1 naming what failed; usage errors are 2 (CliError).
 */
export const verify = async (options: VerifyOptions): Promise<number> => {
  const after = parseFrom(options.from);
  const checkpoint = options.against === undefined ? undefined : parseCheckpoint(options.against);
  if (after !== undefined && (options.digest === true || checkpoint !== undefined)) {
    throw new CliError('--from cannot be combined with --digest or --against: a heads digest covers the whole log');
  }
  if (options.digest === true && checkpoint !== undefined) {
    throw new CliError('use either --digest (take a checkpoint) or --against (check one), not both');
  }

  const store = await openStore(options.store);
  let progress: Progress | undefined;
  try {
    progress = createProgress({
      label: 'verifying',
      unit: 'events',
      total: await expectedEvents(store, options.store, after ?? -1n, checkpoint?.position),
    });
    const onProgress = (events: number) => progress?.update(events);

    if (checkpoint !== undefined) {
      const report = await verifyAgainstDigest(store, checkpoint, { onProgress });
      progress.finish();
      if ('firstBroken' in report) {
        process.stdout.write(describeBroken(report));
        return VERIFY_FAILED;
      }
      if ('digestMismatch' in report) {
        const { position, expected, actual } = report.digestMismatch;
        process.stdout.write(
          `MISMATCH: the heads digest up to position ${position} is ${actual}, the checkpoint says ${expected}: ` +
            `events recorded by then are missing (a truncated tail or a deleted stream)\n`,
        );
        return VERIFY_FAILED;
      }
      process.stdout.write(
        `ok: ${report.events} events in ${report.streams} streams verified up to position ${checkpoint.position}; ` +
          `the heads digest matches the checkpoint\n`,
      );
      return VERIFY_OK;
    }

    if (options.digest === true) {
      // What takeAuditCheckpoint does, with the progress bar: the whole log, then its last position and digest.
      const report = await verifyChain(store, { onProgress });
      progress.finish();
      if (!report.ok) {
        process.stdout.write(describeBroken(report));
        return VERIFY_FAILED;
      }
      process.stdout.write(`${formatCheckpoint({ position: report.lastPosition, digest: report.digest })}\n`);
      return VERIFY_OK;
    }

    const report = await verifyChain(store, { ...(after === undefined ? {} : { after }), onProgress });
    progress.finish();
    if (!report.ok) {
      process.stdout.write(describeBroken(report));
      return VERIFY_FAILED;
    }
    if (after !== undefined) {
      process.stdout.write(
        `ok: ${report.events} events after position ${after} verified (${report.streams} streams touched), ` +
          `up to position ${report.lastPosition}\n`,
      );
      return VERIFY_OK;
    }
    process.stdout.write(
      `ok: ${report.events} events in ${report.streams} streams verified\nheads digest: ${report.digest}\n` +
        `checkpoint: ${formatCheckpoint({ position: report.lastPosition, digest: report.digest })} ` +
        `(keep it outside APEX; later: apex verify --against POSITION:DIGEST)\n`,
    );
    return VERIFY_OK;
  } finally {
    progress?.finish();
    await store.close();
  }
};
