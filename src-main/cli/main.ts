import { main } from './phototag.js';

// Exit explicitly: a lingering handle (a watcher, a worker) must never keep a finished command alive.
process.exit(await main(process.argv.slice(2)));
