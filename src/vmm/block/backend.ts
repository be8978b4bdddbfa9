// What virtio-blk needs from a disk: guest-visible bytes, whatever format holds them. Offsets and lengths
// are bytes, multiples of 512 from virtio-blk. The optional operations are offered to the guest as virtio
// features only when a backend has them (a raw file through Node's fs cannot punch holes, so it has no discard).
export interface BlockBackend {
  /** Guest-visible size in bytes (a multiple of 512). */
  readonly size: number;
  readonly readOnly: boolean;
  read(offset: number, dst: Uint8Array): void;
  write(offset: number, src: Uint8Array): void;
  /** Every completed write is in the file and the file is synced when this returns. */
  flush(): void;
  /** The guest no longer needs these bytes; their contents afterwards are unspecified (advisory). */
  discard?(offset: number, length: number): void;
  /** Reads of these bytes return zero afterwards; `unmap` lets the backend deallocate them. */
  writeZeroes?(offset: number, length: number, unmap: boolean): void;
  /** Whether writeZeroes can deallocate (virtio's write_zeroes_may_unmap). */
  readonly canUnmap?: boolean;
  /** Allocation unit in bytes, the guest's discard granularity hint. */
  readonly granularity?: number;
  /** Flushes and releases the file(s); the backend is unusable afterwards. */
  close?(): void;
}
