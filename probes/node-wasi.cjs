'use strict';
// node-wasi.cjs: runs a WASI (preview1) module under Node.js for phaseprof's
// node profile (node.probe). It uses the synchronous WebAssembly API on
// purpose: decoding, compiling and instantiating then run on the main thread,
// one after the other, so their probes bracket them cleanly.
//
//   node node-wasi.cjs APP.wasm [ARGS...]
//
// The module sees APP.wasm ARGS... as its argv, the environment, and the
// current directory preopened as ".". Its exit status becomes node's.
const { readFileSync } = require('node:fs');
const { WASI } = require('node:wasi');

const [file, ...rest] = process.argv.slice(2);
if (!file) {
	process.stderr.write('usage: node node-wasi.cjs APP.wasm [ARGS...]\n');
	process.exit(64);
}
const wasi = new WASI({
	version: 'preview1',
	args: [file, ...rest],
	env: process.env,
	preopens: { '.': '.' },
	returnOnExit: true,
});
const bytes = readFileSync(file);
const wasmModule = new WebAssembly.Module(bytes);
const instance = new WebAssembly.Instance(wasmModule, { wasi_snapshot_preview1: wasi.wasiImport });
process.exitCode = wasi.start(instance);
