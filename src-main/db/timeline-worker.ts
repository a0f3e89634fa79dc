/**
 * Worker-thread entry: counts every timeline (from the kept counts where they answer it, else a pass over the
 * photos a tag filter matches) through a connection of its own that only reads, so neither the pages the grid asks
 * for meanwhile nor the tagging results the engine's thread writes wait for it. Spoken to only by TimelineReader.
 */
import { workerData } from 'node:worker_threads';
import { answerRequests } from '../worker-client.js';
import { BrowseRepository } from './browse-repository.js';
import { openDatabase } from './database.js';
import type { TimelineRequest } from './timeline-reader.js';

const { dbPath, nativeBinding } = workerData as { dbPath: string; nativeBinding?: string };
const browse = new BrowseRepository(openDatabase(dbPath, { readonly: true, nativeBinding }));

answerRequests<TimelineRequest>(({ filter, sort, suggested }) => browse.timeline(filter, sort, suggested));
