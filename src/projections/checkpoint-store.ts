/** Where a projection resumes from: the last position folded and the state after it. */
export interface Checkpoint {
  readonly position: bigint;
  readonly stateJson: string;
}

/** Persists projection checkpoints. In memory here; a SQLite implementation lives with the store. */
export interface CheckpointStore {
  load(name: string): Promise<Checkpoint | undefined>;
  save(name: string, position: bigint, stateJson: string): Promise<void>;
}

export const createInMemoryCheckpointStore = (): CheckpointStore => {
  const checkpoints = new Map<string, Checkpoint>();
  return {
    load: async (name) => checkpoints.get(name),
    save: async (name, position, stateJson) => {
      checkpoints.set(name, { position, stateJson });
    },
  };
};
