/**
 * A second process for the concurrency test: saves takes in a loop into the library at argv[2],
 * as the CLI would while the studio has the same library open. Run with `node --import tsx`.
 */
import { Library } from '../../src/main/library';
import { newTake, testAudio } from './fixtures';

const [root, countArg] = process.argv.slice(2);
const count = Number(countArg);
const library = Library.open(root);
process.stdout.write('ready\n');
for (let i = 0; i < count; i++) {
  const take = library.saveTake(newTake({ prompt: `writer take ${i}`, seed: i, audio: testAudio(64, 32000, 1), codes: [[i % 2048]] }));
  // Multi-statement writes: tags and title change the search index in the same transaction.
  if (i % 3 === 0) library.updateTake(take.id, { tags: ['batch', `n${i}`], title: `Take ${i}` });
}
library.close();
process.stdout.write('done\n');
