/* Smallest integration check: console output through HTIF and a pass result. */
#include "htif.h"

int main(void) {
  puts_htif("hello from rvkvm\n");
  return 0;
}
