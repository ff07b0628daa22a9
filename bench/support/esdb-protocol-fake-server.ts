/** A protocol fake in its own process, for the append benchmark: prints its port, serves until killed. */
import { startEsdbProtocolFake } from '../../test/support/esdb-protocol-fake/index.js';

const fake = await startEsdbProtocolFake();
process.stdout.write(`${fake.port}\n`);
process.on('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
