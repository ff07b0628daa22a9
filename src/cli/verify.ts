import { openStore } from '../store/open-store.js';
import { verifyChain } from '../store/verify.js';

export interface VerifyOptions {
  readonly store: string;
}

/** `apex verify`: 0 when every stream's chain holds, 1 naming the first broken event. */
export const verify = async (options: VerifyOptions): Promise<number> => {
  const store = await openStore(options.store);
  try {
    const report = await verifyChain(store);
    if (report.ok) {
      process.stdout.write(
        `ok: ${report.events} events in ${report.streams} streams verified\nheads digest: ${report.digest}\n`,
      );
      return 0;
    }
    const broken = report.firstBroken;
    process.stdout.write(
      `BROKEN: event at position ${broken.position} (${broken.stream} revision ${broken.revision}): ${broken.reason}\n`,
    );
    return 1;
  } finally {
    await store.close();
  }
};
