/**
 * The library's public API: the Library facade and its error. The other exports are internals
 * that tests and the benchmark reach for (opening an old schema, inserting rows without audio).
 */
export { Library, DATABASE_FILE, type LibraryOptions, type TakeUpdate } from './library';
export { LibraryError, type LibraryErrorCode } from './errors';
export type { NewTake, TakeRecord } from './takes';
export type { IntegrityReport, IntegrityOptions } from './integrity';
export type { JobStatus, JobRecord, StoredJob } from './jobs';
export { INTERRUPTED_MESSAGE } from './jobs';
export { LATEST_VERSION, MIGRATIONS } from './migrations';
export { openDatabaseAtVersion } from './connection';
