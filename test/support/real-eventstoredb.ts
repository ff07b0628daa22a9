import { GenericContainer, getContainerRuntimeClient, type StartedTestContainer, Wait } from 'testcontainers';

/** The KurrentDB image the contract suite runs against when a Docker engine is available. */
export const KURRENTDB_IMAGE = 'docker.kurrent.io/kurrent-latest/kurrentdb:latest';
const KURRENTDB_PORT = 2113;

export type RealEventStoreDb =
  | { readonly kind: 'found'; readonly url: string; readonly source: string; readonly stop: () => Promise<void> }
  | { readonly kind: 'absent'; readonly reason: string };

/**
 * A real EventStoreDB / KurrentDB server for the contract suite: the one at APEX_ESDB_URL, or a
 * single insecure in-memory KurrentDB node started with testcontainers when a Docker engine is
 * reachable. Otherwise says why there is none, so the suite is skipped with that reason.
 */
export const findRealEventStoreDb = async (): Promise<RealEventStoreDb> => {
  const url = process.env.APEX_ESDB_URL;
  if (url !== undefined && url !== '') {
    return { kind: 'found', url, source: 'APEX_ESDB_URL', stop: async () => undefined };
  }
  try {
    await getContainerRuntimeClient();
  } catch {
    return { kind: 'absent', reason: 'APEX_ESDB_URL not set and no Docker engine found' };
  }
  let container: StartedTestContainer;
  try {
    container = await new GenericContainer(KURRENTDB_IMAGE)
      .withEnvironment({
        KURRENTDB_INSECURE: 'true',
        KURRENTDB_CLUSTER_SIZE: '1',
        KURRENTDB_MEM_DB: 'true',
        KURRENTDB_RUN_PROJECTIONS: 'None',
      })
      .withExposedPorts(KURRENTDB_PORT)
      .withWaitStrategy(Wait.forHttp('/health/live', KURRENTDB_PORT).forStatusCode(204))
      .withStartupTimeout(120_000)
      .start();
  } catch (error) {
    return {
      kind: 'absent',
      reason: `a Docker engine was found but ${KURRENTDB_IMAGE} did not start: ${(error as Error).message}`,
    };
  }
  return {
    kind: 'found',
    url: `esdb://${container.getHost()}:${container.getMappedPort(KURRENTDB_PORT)}?tls=false`,
    source: `${KURRENTDB_IMAGE} in Docker (testcontainers)`,
    stop: async () => {
      await container.stop();
    },
  };
};
