// SPDX-License-Identifier: MIT
// flame.js: the flame graph's interaction, embedded in every SVG we write
// (by embed.cmake). Hover shows a frame's details, click zooms to it, Search
// (or Ctrl-F, F3) highlights the frames whose name matches a regular
// expression and shows how much of the total they cover. Esc clears it.
// Tests drive it through ppSearch(), ppZoom(), ppResetZoom(), ppResetSearch().
"use strict";

var pp = null;
var PP_MATCH_FILL = "rgb(230,0,230)";

function ppInit() {
	if (pp)
		return pp;
	var svg = document.getElementById("ppflame");
	var box = document.getElementById("frames");
	pp = {
		pad: parseFloat(svg.getAttribute("data-pad")),
		fs: parseFloat(svg.getAttribute("data-fontsize")),
		inverted: svg.getAttribute("data-inverted") === "1",
		nametype: svg.getAttribute("data-nametype") || "",
		width: parseFloat(svg.getAttribute("width")),
		frames: [],
		zoomed: null,
		re: null,
		details: document.getElementById("details"),
		matched: document.getElementById("matched"),
		search: document.getElementById("search"),
		unzoom: document.getElementById("unzoom")
	};
	var gs = box.children;
	for (var i = 0; i < gs.length; i++)
		pp.frames.push(ppReadFrame(gs[i]));
	box.addEventListener("click", function (e) {
		var f = ppFrameOf(e.target);
		if (f)
			ppZoom(f);
	});
	box.addEventListener("mouseover", function (e) {
		var f = ppFrameOf(e.target);
		if (f)
			pp.details.textContent = pp.nametype + " " + f.info;
	});
	box.addEventListener("mouseout", function () {
		pp.details.textContent = " ";
	});
	pp.search.addEventListener("click", function () {
		if (pp.re)
			ppResetSearch();
		else
			ppAsk();
	});
	pp.unzoom.addEventListener("click", ppResetZoom);
	window.addEventListener("keydown", ppKey);
	return pp;
}

// A frame as drawn: its <g>, rect, label, name and original geometry.
function ppReadFrame(g) {
	var rect = g.getElementsByTagName("rect")[0];
	var info = g.getElementsByTagName("title")[0].textContent;
	// the title is "NAME (COUNT unit, ...)": the name ends at the last " (" before digits
	var m = /^([\s\S]*) \(([0-9,]+) /.exec(info);
	var f = {
		g: g,
		rect: rect,
		label: g.getElementsByTagName("text")[0] || null,
		name: m ? m[1] : info,
		info: info,
		x: parseFloat(rect.getAttribute("x")),
		w: parseFloat(rect.getAttribute("width")),
		y: parseFloat(rect.getAttribute("y")),
		h: parseFloat(rect.getAttribute("height")),
		fill: rect.getAttribute("fill")
	};
	g.ppFrame = f;
	return f;
}

function ppFrameOf(node) {
	for (; node && node.nodeType === 1; node = node.parentNode) {
		if (node.ppFrame)
			return node.ppFrame;
	}
	return null;
}

function ppKey(e) {
	var find = (e.ctrlKey || e.metaKey) && (e.key === "f" || e.key === "F");

	if (find || e.key === "F3") {
		e.preventDefault();
		ppAsk();
	} else if (e.key === "Escape") {
		ppResetSearch();
	}
}

function ppAsk() {
	var s = window.prompt("Search frames (regular expression):", pp.re ? pp.re.source : "");

	if (s === null || s === "")
		return;
	try {
		ppSearch(s);
	} catch (err) {
		pp.matched.textContent = "not a regular expression: " + s;
	}
}

// Fit a label in w pixels: the whole name, a cut name ending in "..", or nothing.
function ppFit(name, w) {
	var n = Math.floor((w - 6) / (pp.fs * 0.59));

	if (n < 3)
		return "";
	return name.length <= n ? name : name.substring(0, n - 2) + "..";
}

function ppPlace(f, x, w) {
	var text = ppFit(f.name, w);

	f.rect.setAttribute("x", x.toFixed(2));
	f.rect.setAttribute("width", w.toFixed(2));
	if (!f.label && text) {
		f.label = document.createElementNS("http://www.w3.org/2000/svg", "text");
		f.label.setAttribute("y", (f.y + (f.h + 1) / 2 + pp.fs * 0.35).toFixed(1));
		f.g.appendChild(f.label);
	}
	if (f.label) {
		f.label.setAttribute("x", (x + 3).toFixed(2));
		f.label.textContent = text;
	}
}

// is a drawn one level or more further from the root than b?
function ppDeeper(a, b) {
	return pp.inverted ? a.y > b.y : a.y < b.y;
}

// Zoom to a frame (a <g> or one of ppInit's frames): it fills the width,
// its callees scale with it, its callers stay as full-width dimmed bars.
function ppZoom(target) {
	ppInit();
	var z = target.ppFrame || target;
	var span = pp.width - 2 * pp.pad, k = span / z.w, eps = 0.05;

	for (var i = 0; i < pp.frames.length; i++) {
		var f = pp.frames[i];
		var inside = f.x >= z.x - eps && f.x + f.w <= z.x + z.w + eps;
		var covers = f.x <= z.x + eps && f.x + f.w >= z.x + z.w - eps;

		f.g.classList.remove("pp-parent");
		if (f === z || (inside && ppDeeper(f, z))) {
			f.g.classList.remove("hide");
			ppPlace(f, pp.pad + (f.x - z.x) * k, f.w * k);
		} else if (covers && ppDeeper(z, f)) {
			f.g.classList.remove("hide");
			f.g.classList.add("pp-parent");
			ppPlace(f, pp.pad, span);
		} else {
			f.g.classList.add("hide");
		}
	}
	pp.zoomed = z;
	pp.unzoom.classList.remove("hide");
}

function ppResetZoom() {
	ppInit();
	for (var i = 0; i < pp.frames.length; i++) {
		var f = pp.frames[i];

		f.g.classList.remove("hide");
		f.g.classList.remove("pp-parent");
		ppPlace(f, f.x, f.w);
	}
	pp.zoomed = null;
	pp.unzoom.classList.add("hide");
}

// Highlight the frames whose name matches re (a RegExp or a string); show and
// return the percent of the total they cover, nested matches counted once.
function ppSearch(re) {
	ppInit();
	if (!(re instanceof RegExp))
		re = new RegExp(re);
	var hits = [];

	pp.re = re;
	for (var i = 0; i < pp.frames.length; i++) {
		var f = pp.frames[i];

		if (f.name.search(re) >= 0) {
			f.rect.setAttribute("fill", PP_MATCH_FILL);
			f.g.classList.add("pp-match");
			hits.push(f);
		} else {
			f.rect.setAttribute("fill", f.fill);
			f.g.classList.remove("pp-match");
		}
	}
	hits.sort(function (a, b) { return a.x - b.x; });
	var covered = 0, end = -Infinity;
	for (var j = 0; j < hits.length; j++) {
		var from = Math.max(hits[j].x, end), to = hits[j].x + hits[j].w;

		if (to > from)
			covered += to - from;
		end = Math.max(end, to);
	}
	var pct = 100 * covered / (pp.width - 2 * pp.pad);
	pp.matched.textContent = "Matched: " + pct.toFixed(1) + "%";
	pp.search.textContent = "Reset Search";
	return pct;
}

function ppResetSearch() {
	ppInit();
	for (var i = 0; i < pp.frames.length; i++) {
		pp.frames[i].rect.setAttribute("fill", pp.frames[i].fill);
		pp.frames[i].g.classList.remove("pp-match");
	}
	pp.re = null;
	pp.matched.textContent = " ";
	pp.search.textContent = "Search";
}
