// jemalloc settings for binaries that train (link //lasnn:jemalloc_config instead of @jemalloc).
//
// jemalloc's default dirty-page decay (10 s, applied gradually) and its dedicated arena for
// allocations over 8 MiB return freed pages to the kernel while a training loop keeps freeing and
// re-allocating the same large activation tensors, so each step pays for the pages again in page
// faults: about half of an SNN training step at T = 4 on the small CNN of the throughput
// benchmark. With dirty_decay_ms:-1 freed pages are kept for reuse; the resident set then stays
// at its high-water mark, which is what a training process peaks at anyway. MALLOC_CONF in the
// environment still overrides this.
extern "C" {
// Read by jemalloc at start-up (see `man jemalloc`, "TUNING").
__attribute__((visibility("default"))) const char* malloc_conf = "dirty_decay_ms:-1";
}
