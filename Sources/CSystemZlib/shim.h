#ifndef DOCRECON_CSYSTEMZLIB_SHIM_H
#define DOCRECON_CSYSTEMZLIB_SHIM_H
#include <zlib.h>
#endif
