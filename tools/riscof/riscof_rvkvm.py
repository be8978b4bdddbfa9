"""RISCOF DUT plugin for rvkvm: compiles each architectural test with a RISC-V cross GCC against env/ and runs
it with `rvkvm exec --signature`, which writes the signature as Spike's +signature does.

The command building is in plain functions (toolchain(), compile_command(), run_command()) so that the project's
tests can run exactly the commands this plugin runs without RISCOF installed; the plugin class exists only when
RISCOF is importable.
"""
import os
import re
import shlex
import shutil

PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))


def toolchain():
    """The cross GCC to use: riscv64-unknown-elf-gcc (the arch-test default), else Debian's riscv64-linux-gnu-gcc."""
    for cc in ('riscv64-unknown-elf-gcc', 'riscv64-linux-gnu-gcc'):
        if shutil.which(cc):
            return cc
    raise RuntimeError('rvkvm plugin: neither riscv64-unknown-elf-gcc nor riscv64-linux-gnu-gcc is on PATH')


def march_of(isa):
    """RISCOF's test ISA (e.g. RV64IMAFDCZicsr_Zifencei) as a GCC -march (rv64imafdc_zicsr_zifencei): the first
    multi-letter name may follow the single letters without an underscore, GCC wants one."""
    tokens = isa.lower().split('_')
    m = re.match(r'(rv\d+[a-y]*)(.*)', tokens[0])
    if not m:
        raise ValueError('rvkvm plugin: ISA ' + repr(isa) + ' does not start with RV32/RV64')
    return '_'.join([m.group(1)] + ([m.group(2)] if m.group(2) else []) + [t for t in tokens[1:] if t])


def compile_command(cc, test, elf, march, xlen, macros, env_dirs, link_ld=None):
    """argv compiling one test to elf. Linux-targeted GCC builds PIE by default: the tests need absolute
    addresses (la of the signature), so PIE is switched off."""
    argv = [cc, '-march=' + march, '-mabi=' + ('lp64' if xlen == 64 else 'ilp32'), '-static', '-mcmodel=medany',
            '-fvisibility=hidden', '-nostdlib', '-nostartfiles', '-g', '-T', link_ld or os.path.join(PLUGIN_DIR, 'env', 'link.ld')]
    if 'linux-gnu' in os.path.basename(cc):
        argv += ['-fno-pie', '-no-pie', '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments']
    for d in env_dirs:
        argv += ['-I', d]
    argv += ['-D' + m for m in macros]
    return argv + [test, '-o', elf]


def run_command(rvkvm, elf, sig_file, isa, misaligned='trap', jit_hot=None, granularity=4, ram=None, extra=()):
    """argv running elf on rvkvm and writing its signature."""
    argv = shlex.split(rvkvm) + ['exec', elf, '--isa', isa, '--signature', sig_file,
                                 '--signature-granularity', str(granularity), '--misaligned', misaligned]
    if jit_hot:
        argv += ['--jit-hot', str(jit_hot)]
    if ram:
        argv += ['--ram', ram]
    return argv + list(extra)


def rvkvm_isa(ispec):
    """rvkvm's --isa from the isa yaml's ISA string (rvkvm parses the same names, lower-case)."""
    return ispec['ISA'].lower()


try:
    import riscof.utils as utils
    from riscof.pluginTemplate import pluginTemplate
except ImportError:  # the project's tests use the functions above without RISCOF
    pluginTemplate = None

if pluginTemplate is not None:
    import logging
    logger = logging.getLogger()

    class rvkvm(pluginTemplate):
        __model__ = 'rvkvm'
        __version__ = '0.1.0'

        def __init__(self, *args, **kwargs):
            sclass = super().__init__(*args, **kwargs)
            config = kwargs.get('config')
            if config is None:
                raise SystemExit('rvkvm plugin: the config.ini has no [rvkvm] section')
            # PATH: a directory holding `rvkvm`, or unset for the one on $PATH; `rvkvm` may also be a command
            # line such as "node /path/to/rvkvm/dist/src/cli/main.js"
            self.rvkvm = config.get('rvkvm') or (os.path.join(config['PATH'], 'rvkvm') if 'PATH' in config else 'rvkvm')
            self.num_jobs = str(config.get('jobs', 1))
            self.pluginpath = os.path.abspath(config['pluginpath'])
            self.isa_spec = os.path.abspath(config['ispec'])
            self.platform_spec = os.path.abspath(config['pspec'])
            self.misaligned = config.get('misaligned', 'trap')
            self.jit_hot = config.get('jit_hot')
            self.target_run = config.get('target_run', '1') != '0'
            return sclass

        def initialise(self, suite, work_dir, archtest_env):
            self.work_dir = work_dir
            self.suite_dir = suite
            self.archtest_env = archtest_env
            self.cc = toolchain()

        def build(self, isa_yaml, platform_yaml):
            ispec = utils.load_yaml(isa_yaml)['hart0']
            self.xlen = 64 if 64 in ispec['supported_xlen'] else 32
            if self.xlen != 64:
                raise SystemExit('rvkvm plugin: rvkvm is an RV64 hart; the isa yaml asks for RV32')
            self.isa = rvkvm_isa(ispec)

        def runTests(self, testList):
            make = utils.makeUtil(makefilePath=os.path.join(self.work_dir, 'Makefile.' + self.name[:-1]))
            make.makeCommand = 'make -k -j' + self.num_jobs
            env = [os.path.join(self.pluginpath, 'env'), self.archtest_env]
            for testname in testList:
                entry = testList[testname]
                test_dir = entry['work_dir']
                elf = os.path.join(test_dir, 'rvkvm.elf')
                sig = os.path.join(test_dir, self.name[:-1] + '.signature')
                cc = compile_command(self.cc, entry['test_path'], elf, march_of(entry['isa']), self.xlen,
                                     entry['macros'], env, os.path.join(self.pluginpath, 'env', 'link.ld'))
                run = run_command(self.rvkvm, elf, sig, self.isa, self.misaligned, self.jit_hot)
                # a test that does not compile is not run (no stale signature is left to compare)
                steps = [shlex.join(cc)] + ([shlex.join(run)] if self.target_run else [])
                make.add_target('@cd {0} && rm -f {1} && {2}'.format(shlex.quote(test_dir), shlex.quote(sig), ' && '.join(steps)))
            make.execute_all(self.work_dir)
            if not self.target_run:
                raise SystemExit(0)
