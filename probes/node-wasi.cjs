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
//
// A module without a _start export is not a WASI command: then, like
// `wasm-interp --run-all-exports`, every exported function without
// parameters is called in export order and its results printed the way
// wabt prints them (`run() => i32:42`), so that `phaseprof compare` can check
// that node and wasm-interp print the same thing.
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
if (typeof instance.exports._start === 'function')
	process.exitCode = wasi.start(instance);
else
	runAllExports(bytes, instance);

// The signatures of the exported functions, from the type, import, function
// and export sections (JS reflection does not give wasm types in node 20).
function exportedSignatures(buf) {
	let pos = 8;
	const u32 = () => {
		let v = 0, shift = 0, b;
		do {
			b = buf[pos++];
			v += (b & 0x7f) * 2 ** shift;
			shift += 7;
		} while (b & 0x80);
		return v;
	};
	const name = () => {
		const n = u32();
		const s = buf.toString('utf8', pos, pos + n);
		pos += n;
		return s;
	};
	const types = [], funcs = [], exports = [];
	while (pos < buf.length) {
		const id = buf[pos++], size = u32(), end = pos + size;
		if (id === 1) {
			for (let n = u32(); n > 0; n--) {
				pos++; // 0x60
				const params = [], results = [];
				for (let k = u32(); k > 0; k--) params.push(buf[pos++]);
				for (let k = u32(); k > 0; k--) results.push(buf[pos++]);
				types.push({ params, results });
			}
		} else if (id === 2) {
			for (let n = u32(); n > 0; n--) {
				name();
				name();
				const kind = buf[pos++];
				if (kind === 0) funcs.push(u32());
				else if (kind === 1) { pos++; const f = u32(); u32(); if (f & 1) u32(); }
				else if (kind === 2) { const f = u32(); u32(); if (f & 1) u32(); }
				else if (kind === 3) pos += 2;
				else u32();
			}
		} else if (id === 3) {
			for (let n = u32(); n > 0; n--) funcs.push(u32());
		} else if (id === 7) {
			for (let n = u32(); n > 0; n--) {
				const ename = name(), kind = buf[pos++], index = u32();
				if (kind === 0) exports.push({ name: ename, type: types[funcs[index]] });
			}
		}
		pos = end;
	}
	return exports;
}

function formatValue(type, v) {
	switch (type) {
	case 0x7f: return `i32:${v >>> 0}`;
	case 0x7e: return `i64:${BigInt.asUintN(64, BigInt(v))}`;
	case 0x7d: return `f32:${v.toFixed(6)}`;
	case 0x7c: return `f64:${v.toFixed(6)}`;
	default: return `${v}`;
	}
}

function runAllExports(buf, inst) {
	// V8's trap messages, as wabt words them
	const trapMessages = [
		[/unreachable/, 'unreachable executed'],
		[/divide by zero/, 'integer divide by zero'],
		[/integer overflow/, 'integer overflow'],
		[/memory access out of bounds/, 'out of bounds memory access'],
	];
	const out = [];
	for (const { name, type } of exportedSignatures(buf)) {
		if (!type || type.params.length)
			continue;
		let line = `${name}() =>`;
		try {
			let r = inst.exports[name]();
			if (type.results.length === 1) r = [r];
			type.results.forEach((t, i) => { line += `${i ? ',' : ''} ${formatValue(t, r[i])}`; });
		} catch (e) {
			if (!(e instanceof WebAssembly.RuntimeError)) throw e;
			const m = trapMessages.find(([re]) => re.test(e.message));
			line += ` error: ${m ? m[1] : e.message}`;
		}
		out.push(line + '\n');
	}
	process.stdout.write(out.join(''));
}
