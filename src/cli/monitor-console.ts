// The monitor on rvkvm run's raw terminal: Ctrl-A c switches the keyboard between the guest console and a
// `(rvkvm)` prompt, as QEMU's mux does. This file is only the terminal side (a line editor over raw bytes, CR LF
// output); the commands are src/vmm/monitor.ts's table.
import type { Monitor } from '../vmm/monitor.js';

const PROMPT = '(rvkvm) ';
const BANNER = "rvkvm monitor - type 'help' for the commands, Ctrl-A c to go back to the console";

export class MonitorConsole {
  /** the keyboard goes to the monitor (else to the guest) */
  active = false;
  private line = '';
  /** commands run one after another, in the order typed */
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly monitor: Monitor, private readonly write: (text: string) => void) {}

  toggle(): void {
    this.active = !this.active;
    this.write(this.active ? `\r\n${BANNER}\r\n${PROMPT}${this.line}` : '\r\n');
  }

  /** One byte typed while the monitor has the keyboard. */
  key(b: number): void {
    if (b === 0x0d || b === 0x0a) {
      const line = this.line;
      this.line = '';
      this.write('\r\n');
      this.pending = this.pending.then(async () => {
        const out = await this.monitor.execute(line);
        if (out !== '') this.write(out.replace(/\n/g, '\r\n') + '\r\n');
        if (this.active && !this.monitor.quitRequested) this.write(PROMPT);
      });
      return;
    }
    if (b === 0x7f || b === 0x08) { // backspace
      if (this.line.length > 0) { this.line = this.line.slice(0, -1); this.write('\b \b'); }
      return;
    }
    if (b === 0x03 || b === 0x15) { // Ctrl-C, Ctrl-U: drop the line
      this.line = '';
      this.write(`\r\n${PROMPT}`);
      return;
    }
    if (b >= 0x20 && b < 0x7f && this.line.length < 1024) {
      this.line += String.fromCharCode(b);
      this.write(String.fromCharCode(b));
    }
  }

  /** Commands still running (the CLI waits for them before it exits). */
  settled(): Promise<void> {
    return this.pending;
  }
}
