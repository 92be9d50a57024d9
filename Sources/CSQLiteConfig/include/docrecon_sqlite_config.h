#ifndef DOCRECON_SQLITE_CONFIG_H
#define DOCRECON_SQLITE_CONFIG_H

/// Process-wide SQLite settings that only sqlite3_config can make (a variadic function Swift
/// cannot call). Must run before SQLite is first used; returns an SQLite result code
/// (SQLITE_MISUSE when SQLite was already initialised: the settings are then left as they were).
int docrecon_sqlite_configure(void);

#endif
