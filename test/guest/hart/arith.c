// rvkvm-isa: rv64gc_zba_zbb_zbs
/* Integer edge cases as a compiled program sees them: division by zero and overflow (RISC-V defines the
   results, no trap), W-form sign extension, shifts by 63/31, high multiplies, and a few Zba/Zbb/Zbs results. */
#include "htif.h"

#define OP2(name, insn) static inline long name(long a, long b) { long r; __asm__ volatile(".option push\n.option arch, +zba, +zbb, +zbs\n" insn " %0, %1, %2\n.option pop" : "=r"(r) : "r"(a), "r"(b)); return r; }
OP2(div_, "div") OP2(divu_, "divu") OP2(rem_, "rem") OP2(remu_, "remu") OP2(divw_, "divw") OP2(divuw_, "divuw")
OP2(remw_, "remw") OP2(addw_, "addw") OP2(subw_, "subw") OP2(sllw_, "sllw") OP2(sraw_, "sraw") OP2(srlw_, "srlw")
OP2(mulh_, "mulh") OP2(mulhu_, "mulhu") OP2(mulhsu_, "mulhsu") OP2(mulw_, "mulw") OP2(sra_, "sra") OP2(srl_, "srl")
OP2(sh3add_, "sh3add") OP2(adduw_, "add.uw") OP2(rol_, "rol") OP2(bext_, "bext") OP2(minu_, "minu")
#define OP1(name, insn) static inline long name(long a) { long r; __asm__ volatile(".option push\n.option arch, +zba, +zbb, +zbs\n" insn " %0, %1\n.option pop" : "=r"(r) : "r"(a)); return r; }
OP1(clz_, "clz") OP1(ctzw_, "ctzw") OP1(cpop_, "cpop") OP1(rev8_, "rev8") OP1(orcb_, "orc.b") OP1(sextb_, "sext.b")

#define MIN64 (-0x7fffffffffffffffl - 1)

int main(void) {
  CHECK(1, div_(42, 0) == -1 && divu_(42, 0) == -1 && rem_(42, 0) == 42 && remu_(42, 0) == 42);
  CHECK(2, div_(MIN64, -1) == MIN64 && rem_(MIN64, -1) == 0);
  CHECK(3, divw_(-0x80000000l, -1) == -0x80000000l && remw_(-0x80000000l, -1) == 0 && divw_(5, 0) == -1);
  CHECK(4, divuw_(-1, 2) == 0x7fffffff && div_(-7, 2) == -3 && rem_(-7, 2) == -1);
  CHECK(5, addw_(0x7fffffff, 1) == -0x80000000l && subw_(0, 1) == -1 && addw_(0x100000000l, 5) == 5);
  CHECK(6, sllw_(1, 31) == -0x80000000l && sraw_(-0x80000000l, 31) == -1 && srlw_(-1, 31) == 1 && sllw_(1, 32) == 1);
  CHECK(7, sra_(MIN64, 63) == -1 && srl_(MIN64, 63) == 1 && sra_(MIN64, 64) == MIN64);
  CHECK(8, mulh_(-1, -1) == 0 && mulhu_(-1, -1) == -2 && mulhsu_(-1, -1) == -1 && mulh_(MIN64, MIN64) == 0x4000000000000000l);
  CHECK(9, mulw_(0x10000, 0x10000) == 0 && mulw_(0xffff, 0x10001) == -1);
  CHECK(10, sh3add_(3, 100) == 124 && adduw_(-1, 1) == 0x100000000l && rol_(MIN64, 1) == 1 && bext_(0x10, 4) == 1);
  CHECK(11, minu_(-1, 5) == 5 && clz_(1) == 63 && clz_(0) == 64 && ctzw_(0) == 32 && cpop_(-1) == 64);
  CHECK(12, rev8_(0x0102030405060708l) == 0x0807060504030201l && orcb_(0x0100200000000003l) == 0xff00ff00000000ffl);
  CHECK(13, sextb_(0x80) == -128);
  return 0;
}
