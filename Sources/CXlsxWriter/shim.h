#ifndef DOCRECON_CXLSXWRITER_SHIM_H
#define DOCRECON_CXLSXWRITER_SHIM_H
#include <xlsxwriter.h>
#endif
