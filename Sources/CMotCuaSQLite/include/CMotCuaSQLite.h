#ifndef CMOTCUA_SQLITE_H
#define CMOTCUA_SQLITE_H

/// Turns off SQLite's memory statistics for the whole process (SQLITE_CONFIG_MEMSTATUS = 0). With them
/// on, every allocation SQLite makes takes a process-wide mutex to count it. `sqlite3_config` is variadic,
/// which Swift cannot call, hence this C shim. Must run before SQLite is initialised (before the first
/// connection opens); returns SQLite's result code (SQLITE_MISUSE when it is too late).
int motcua_sqlite_disable_memory_statistics(void);

#endif
