/**
 * Every PostgreSQL advisory lock the service and its tools take, in one list so that no two
 * share a key by accident. A "class" is the first of two int4 keys; the second names what is
 * locked (usually `hashtext` of a name). Transaction locks (`_xact_`) end with their
 * transaction; session locks end with their connection, so a dead holder frees them.
 */

/** Session lock, one bigint key: whoever applies migrations (every instance and tool at start-up). */
export const MIGRATION_LOCK_KEY = 7_401_326_001;

/**
 * Transaction lock per stream (`hashtext(stream_name)`), taken by `es_append_batch` before it
 * writes: the event store reads the global log only below the oldest append holding one.
 */
export const APPEND_LOCK_CLASS = 7_401_326;

/** Session lock per projection (`hashtext(name)`): held by its one active projector. */
export const PROJECTOR_LOCK_CLASS = 7_401_327;

/** Transaction lock under which a projection's first generation is created. */
export const SETUP_LOCK = [7_401_328, 0] as const;

/**
 * Transaction lock per generation of the messages projection: each replay holds it shared; a
 * batch takes it exclusively when it can, and then needs no lock per project, since no replay
 * runs or starts in that generation until the batch commits.
 */
export const REPLAY_LOCK_CLASS = 7_401_329;

/**
 * Transaction lock per generation (`hashtext('name/generation')`), held shared by a reader of the
 * generation's own tables (verify): a retired generation is dropped only when no one holds it.
 */
export const IN_USE_LOCK_CLASS = 7_401_330;

/**
 * Transaction lock per project of a generation (`hashtext('generation/projectId')`): a replay
 * holds its project exclusively; a batch that runs beside a replay holds each project it touches shared.
 */
export const PROJECT_LOCK_CLASS = 7_401_331;

/** Transaction lock per projection (`hashtext(name)`) under which rebuilds are requested in turn. */
export const REBUILD_REQUEST_LOCK_CLASS = 7_401_332;
