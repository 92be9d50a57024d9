#include <sqlite3.h>
#include "docrecon_sqlite_config.h"

int docrecon_sqlite_configure(void) {
    /* No memory statistics: with them on, every sqlite3_malloc/free takes SQLite's global
       malloc mutex (GRDB's connections are NOMUTEX, but this lock is process-wide). */
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
