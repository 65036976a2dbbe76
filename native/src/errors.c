#include <stdarg.h>
#include <stdio.h>

#include "gazelle.h"

int gz_fail(struct gz_error *err, const char *code, const char *fmt, ...) {
  va_list ap;
  err->code = code;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  return -1;
}
