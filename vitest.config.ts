import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Points HOME, XDG folders and the data folder at a temp dir for every worker and child
    // process, and fails the run if the user's real data folder changed.
    // The renderer is built once here, not by end-to-end files racing each other on a fresh clone.
    globalSetup: ['test/setup/isolate-user-data.ts', 'test/setup/build-studio.ts'],
    // ONNX sessions and model generation are CPU-heavy: two workers fit the 2-core machines.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
