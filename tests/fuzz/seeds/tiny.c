/* tiny.c: the fuzzers' seed ELF files are built from this (tests/fuzz/make_seeds.sh):
 * no headers, so it builds for -m32 objects too. */
static volatile int sink;

__attribute__((noinline)) static int helper(int x)
{
	return x * 3 + sink;
}

__attribute__((noinline)) int compile_module(int x)
{
	return helper(x) + 1;
}

/* Itanium and Rust v0 mangled names, as a wasm runtime has them */
__attribute__((noinline)) int sync_compile(int x) __asm__("_ZN2v88internal4wasm10WasmEngine11SyncCompileEv");
int sync_compile(int x)
{
	return compile_module(x) * 2;
}

__attribute__((noinline)) int rust_compile(int x) __asm__("_RNvCs1234_4tiny14compile_module");
int rust_compile(int x)
{
	return sync_compile(x) - 1;
}

__attribute__((noinline, cold)) int rarely(int x)
{
	return x - 7;
}

int main(void)
{
	sink = 1;
	return rust_compile(sink) + rarely(sink) > 1000;
}
