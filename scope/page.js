"use strict";
// The scope page: a heat map of a timed profile whose cells select time
// ranges, and the flame graph of the selected range (or the differential
// flame graph of two) drawn as flamegraph.Render draws it, in an SVG of
// Render's (its head, style and script) shown in a frame. The profile comes
// as its distinct stacks (the indexes of their frames' names, numbered in
// the order Render sorts them) and, for every heat map cell, its stacks
// with their counts. The selection lives in the URL's fragment.
(async function () {
	var meta = JSON.parse(document.getElementById("fk-meta").textContent);
	var status = document.getElementById("fk-status");
	var bin = atob(document.getElementById("fk-data").textContent);
	var raw = new Uint8Array(bin.length);
	for (var i = 0; i < bin.length; i++) raw[i] = bin.charCodeAt(i);
	bin = null;
	var words = new Uint32Array(await new Response(new Blob([raw]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
	raw = null;
	var parts = [], at = 0;
	meta.sections.forEach(function (n) {
		parts.push(words.subarray(at, at + n));
		at += n;
	});
	var stackStart = parts[0], stackFrames = parts[1], cellStart = parts[2], pairs = parts[3];
	var nstacks = stackStart.length - 1, ncells = cellStart.length - 1, RI = meta.rows;
	// The pairs' stack numbers are differences within their cell.
	var cellN = new Float64Array(ncells);
	for (var c = 0; c < ncells; c++) {
		var prev = 0;
		for (var k = cellStart[c]; k < cellStart[c + 1]; k++) {
			prev = pairs[2 * k] += prev;
			cellN[c] += pairs[2 * k + 1];
		}
	}

	// The heat map, at view rows: the cells of the index's RI rows summed
	// by RI/view.
	var heat = document.getElementById("fk-heat"), axis = document.getElementById("fk-axis");
	var rowsSel = document.getElementById("fk-rows"), maxEl = document.getElementById("fk-max");
	for (var r = 10; r <= RI; r++) {
		if (RI % r) continue;
		var opt = document.createElement("option");
		opt.value = opt.textContent = r;
		rowsSel.appendChild(opt);
	}
	var view = meta.view, cellEls = [];
	function cellColor(n, max) {
		if (!n) return "#fff";
		// White to orange to dark red, as the count grows to max.
		var f = Math.sqrt(n / max), r, g, b;
		if (f < 0.5) {
			r = 255;
			g = Math.round(240 - 280 * f);
			b = Math.round(220 - 400 * f);
		} else {
			r = Math.round(255 - 300 * (f - 0.5));
			g = Math.round(100 - 200 * (f - 0.5));
			b = Math.round(20 - 40 * (f - 0.5));
		}
		return "rgb(" + r + "," + g + "," + b + ")";
	}
	function drawHeat() {
		var f = RI / view, counts = new Float64Array(meta.columns * view), max = 0;
		for (var c = 0; c < ncells; c++) counts[Math.floor(c / f)] += cellN[c];
		for (var c2 = 0; c2 < counts.length; c2++) max = Math.max(max, counts[c2]);
		heat.textContent = "";
		axis.textContent = "";
		cellEls = new Array(counts.length);
		var h = Math.max(2, Math.round(400 / view) - 1);
		for (var col = 0; col < meta.columns; col++) {
			var colEl = document.createElement("div");
			colEl.className = "col";
			for (var k = view - 1; k >= 0; k--) {
				var n = col * view + k, e = document.createElement("div");
				e.style.height = h + "px";
				e.style.background = cellColor(counts[n], max);
				e.setAttribute("data-t", n / view);
				e.setAttribute("data-n", counts[n]);
				e.title = (n / view).toFixed(3) + " s: " + counts[n] + " samples";
				colEl.appendChild(e);
				cellEls[n] = e;
			}
			heat.appendChild(colEl);
			var tick = document.createElement("span");
			tick.textContent = col % 5 ? "" : col;
			axis.appendChild(tick);
		}
		maxEl.textContent = max;
		mark();
	}

	// The selection: ranges a (and b, to compare with a) as [start, end] in
	// seconds from the first whole second, and the first click of the next.
	var sel = {a: null, b: null, first: null};
	function cellsOf(range) {
		return [Math.round(range[0] * RI), Math.round(range[1] * RI)];
	}
	function mark() {
		for (var n = 0; n < cellEls.length; n++) cellEls[n].className = "";
		[["a", sel.a], ["b", sel.b]].forEach(function (s) {
			if (!s[1]) return;
			var lo = Math.round(s[1][0] * view), hi = Math.round(s[1][1] * view);
			for (var n = Math.max(0, lo); n < Math.min(hi, cellEls.length); n++) cellEls[n].className = s[0];
		});
		if (sel.first !== null && cellEls[sel.first]) cellEls[sel.first].className = "start";
	}
	heat.addEventListener("click", function (e) {
		var el = e.target;
		if (!el.hasAttribute("data-t")) return;
		var n = Math.round(+el.getAttribute("data-t") * view);
		if (sel.first === null) {
			sel.first = n;
			mark();
			return;
		}
		var lo = Math.min(sel.first, n), hi = Math.max(sel.first, n) + 1;
		var range = [lo / view, hi / view];
		sel.first = null;
		if (sel.a && !sel.b) sel.b = range;
		else {
			sel.a = range;
			sel.b = null;
		}
		save();
		show();
	});
	document.getElementById("fk-clear").addEventListener("click", function () {
		sel = {a: null, b: null, first: null};
		save();
		show();
	});
	rowsSel.addEventListener("change", function () {
		view = +rowsSel.value;
		sel.first = null;
		save();
		drawHeat();
	});

	// The URL's fragment: rows=R&range=S,E&vs=S,E.
	function fmt(range) {
		return +range[0].toFixed(6) + "," + +range[1].toFixed(6);
	}
	function save() {
		var q = new URLSearchParams();
		q.set("rows", view);
		if (sel.a) q.set("range", fmt(sel.a));
		if (sel.b) q.set("vs", fmt(sel.b));
		history.replaceState(null, "", "#" + q.toString().replace(/%2C/g, ","));
	}
	function parseRange(s) {
		var m = /^([0-9.]+),([0-9.]+)$/.exec(s || "");
		return m && +m[1] <= +m[2] ? [+m[1], +m[2]] : null;
	}
	function load() {
		var q = new URLSearchParams(location.hash.slice(1));
		var r = +q.get("rows"), was = view;
		view = r >= 10 && r <= RI && RI % r === 0 ? r : meta.view;
		rowsSel.value = view;
		sel = {a: parseRange(q.get("range")), b: null, first: null};
		if (sel.a) sel.b = parseRange(q.get("vs"));
		if (view !== was || !cellEls.length) drawHeat();
		show();
	}
	window.addEventListener("hashchange", load);

	// counts sums the cells of a range by stack.
	function counts(range) {
		var cs = cellsOf(range), out = new Float64Array(nstacks);
		for (var c = Math.max(0, cs[0]); c < Math.min(cs[1], ncells); c++) {
			for (var k = cellStart[c]; k < cellStart[c + 1]; k++) out[pairs[2 * k]] += pairs[2 * k + 1];
		}
		return out;
	}

	// The flame graph, laid out as flamegraph.Render lays it out: the
	// stacks in order, each merged with the frames it shares with the
	// previous one; a frame that closes narrower than MinWidth is dropped
	// with its subtree.
	var tmpl = new DOMParser().parseFromString(meta.graph, "image/svg+xml");
	var tsvg = tmpl.documentElement;
	var W = +tsvg.getAttribute("width"), FS = +tsvg.getAttribute("data-fs"), FW = +tsvg.getAttribute("data-fw");
	var trect = tmpl.getElementById("frames").querySelector("rect");
	var FH = +trect.getAttribute("height") + 1, XPAD = 10;
	var TITLE = tmpl.getElementById("frames").firstElementChild.firstElementChild.textContent;
	var COUNTNAME = / \([0-9,]+ (.*), 100%\)$/.exec(TITLE)[1];
	var MINW = meta.minwidth;
	function layout(count, before) {
		var total = 0, maxDelta = 1, st = [];
		for (var s = 0; s < nstacks; s++) {
			if (count[s] || (before && before[s])) st.push(s);
			total += count[s];
		}
		var perTime = (W - 2 * XPAD) / total, minTime = MINW.pct ? total * MINW.v / 100 : MINW.v / perTime;
		var name = [], depth = [], start = [], end = [], delta = [], open = [], time = 0, prevS = -1;
		function closeFrom(d) {
			if (d >= open.length) return;
			var cut = -1;
			for (var k = d; k < open.length; k++) {
				var i = open[k];
				end[i] = time;
				if (cut < 0 && time - start[i] < minTime) cut = i;
			}
			if (cut >= 0) name.length = depth.length = start.length = end.length = delta.length = cut;
			open.length = d;
		}
		function push(n, d, dl) {
			open.push(name.length);
			name.push(n);
			depth.push(d);
			start.push(time);
			end.push(time);
			delta.push(dl);
		}
		st.forEach(function (s) {
			var f0 = stackStart[s], f1 = stackStart[s + 1], dl = 0, d = 0;
			if (before) {
				dl = count[s] - before[s];
				maxDelta = Math.max(maxDelta, Math.abs(dl));
			}
			if (open.length) {
				var p0 = stackStart[prevS], p1 = stackStart[prevS + 1], sh = 0;
				while (p0 + sh < p1 && f0 + sh < f1 && stackFrames[p0 + sh] === stackFrames[f0 + sh]) sh++;
				d = 1 + sh;
			}
			prevS = s;
			closeFrom(d);
			if (d === 0) {
				push(-1, 0, f0 === f1 ? dl : 0);
				d = 1;
			}
			for (var j = f0 + d - 1; j < f1; j++) push(stackFrames[j], d++, j === f1 - 1 ? dl : 0);
			time += count[s];
		});
		closeFrom(0);
		return {name: name, depth: depth, start: start, end: end, delta: delta, total: total, maxDelta: maxDelta, perTime: perTime};
	}

	function esc(s) {
		return String(s).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, "\ufffd").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
	}
	function num(v) {
		return Number.isInteger(v) ? String(v) : String(+v.toPrecision(15));
	}
	function commas(v) {
		return String(Math.round(v)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	}
	function hex2(v) {
		return (v < 16 ? "0" : "") + v.toString(16);
	}
	function diffFill(d, max) {
		if (d > 0) {
			var v = Math.trunc((210 * (max - d)) / max);
			return "#ff" + hex2(v) + hex2(v);
		}
		if (d < 0) {
			var u = Math.trunc((210 * (max + d)) / max);
			return "#" + hex2(u) + hex2(u) + "ff";
		}
		return "#ffffff";
	}
	// white tells a fill too dark for a black label, as Render decides.
	function white(fill) {
		var l = 0;
		for (var c = 0; c < 3; c++) {
			var v = parseInt(fill.substr(1 + 2 * c, 2), 16) / 255;
			v = v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
			l += [0.2126, 0.7152, 0.0722][c] * v;
		}
		var black = (l + 0.05) / 0.05, wh = 1.05 / (l + 0.05);
		return black < 4.5 && wh > black;
	}
	function label(s, chars) {
		var cs = Array.from(s);
		return cs.length <= chars ? s : cs.slice(0, chars - 2).join("") + "..";
	}

	// svgOf returns the SVG of a layout: the template's with its size,
	// title and frames.
	function svgOf(t, differential, title) {
		var maxDepth = 0;
		for (var i = 0; i < t.depth.length; i++) maxDepth = Math.max(maxDepth, t.depth[i]);
		var ypad1 = FS * 3, ypad2 = FS * 2 + 10, height = (maxDepth + 1) * FH + ypad1 + ypad2;
		var doc = tmpl.cloneNode(true), svg = doc.documentElement;
		svg.setAttribute("height", height);
		svg.setAttribute("viewBox", "0 0 " + W + " " + height);
		svg.setAttribute("data-total", num(t.total));
		svg.querySelector("rect").setAttribute("height", height);
		doc.getElementById("details").setAttribute("y", num(height - ypad2 / 2));
		doc.getElementById("matched").setAttribute("y", num(height - ypad2 / 2));
		doc.getElementById("title").textContent = title;
		doc.getElementById("frames").textContent = "";
		var b = [];
		for (var f = 0; f < t.name.length; f++) {
			var root = t.name[f] < 0, s = t.start[f], e = root ? t.total : t.end[f], d = t.depth[f];
			var nm = root ? "" : meta.names[t.name[f]];
			var shown = nm.replace(/_\[[kjiw]\]$/, "");
			var x1 = XPAD + s * t.perTime, x2 = XPAD + e * t.perTime;
			var y1 = height - ypad2 - (d + 1) * FH + 1, y2 = height - ypad2 - d * FH;
			var samples = Math.round((e - s) * meta.factor);
			var tip = (root ? "all" : esc(shown)) + " (" + commas(samples) + " " + esc(COUNTNAME) + ", ";
			if (root) tip += "100%)";
			else {
				tip += ((100 * samples) / (t.total * meta.factor)).toFixed(2) + "%";
				if (differential) {
					var dl = meta.negate && t.delta[f] ? -t.delta[f] : t.delta[f];
					tip += "; " + (dl > 0 ? "+" : "") + ((100 * dl) / (t.total * meta.factor)).toFixed(2) + "%";
				}
				tip += ")";
			}
			var fill = differential ? diffFill(meta.negate ? -t.delta[f] : t.delta[f], t.maxDelta) : root ? meta.root : meta.fills[t.name[f]];
			if (nm === "-" || nm === "--") fill = meta.fills[t.name[f]];
			var x1t = Math.round(x1 * 10), x2t = Math.round(x2 * 10);
			b.push('<g data-x="', num(s), '" data-w="', num(e - s), '"><title>', tip, '</title><rect x="', num(x1t / 10), '" y="', num(y1), '" width="', num((x2t - x1t) / 10), '" height="', num(y2 - y1), '" fill="', fill, '"/>');
			var chars = Math.floor((x2 - x1) / (FS * FW));
			if (chars >= 3) {
				b.push('<text x="', num(Math.round((x1 + 3) * 100) / 100), '" y="', num(3 + (y1 + y2) / 2), white(fill) ? '" class="w">' : '">', esc(label(shown, chars)), "</text>");
			}
			b.push("</g>\n");
		}
		// The frames go in the empty group, whose tag no escaped text has.
		var text = new XMLSerializer().serializeToString(doc).split('<g id="frames"/>');
		if (text.length !== 2) throw new Error("scope: the flame graph's template has no frames group");
		return text[0] + '<g id="frames">\n' + b.join("") + "</g>" + text[1];
	}

	var frame = document.getElementById("fk-graph"), dl = document.getElementById("fk-download"), svgURL = null;
	// The frame's document: it parses the SVG as XML (as a file of it is
	// parsed), puts it in its body and runs its script, in a window of its
	// own, which each graph replaces.
	var LOADER = '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0}</style></head><body><script>' +
		'var d=new DOMParser().parseFromString(parent.scopeSVG,"image/svg+xml"),svg=document.importNode(d.documentElement,true),' +
		'old=svg.querySelector("script"),s=document.createElement("script");s.textContent=old.textContent;old.remove();' +
		'document.body.appendChild(svg);document.body.appendChild(s);document.documentElement.setAttribute("data-ready","1")<\/script></body></html>';
	function rangeText(r) {
		return fmt(r).replace(",", "–") + " s";
	}
	// show draws the selected range's flame graph, or the differential
	// graph of a and b: b's counts, coloured by the change from a's.
	function show() {
		mark();
		frame.classList.add("fk-hide");
		frame.removeAttribute("srcdoc");
		dl.classList.add("fk-hide");
		if (svgURL) URL.revokeObjectURL(svgURL);
		svgURL = null;
		if (!sel.a) {
			status.textContent = "Click a start cell and an end cell to draw their range's flame graph; two more clicks select a range to compare with it.";
			return;
		}
		var a = counts(sel.a), b = sel.b ? counts(sel.b) : null;
		var t = b ? layout(b, a) : layout(a, null);
		if (!(t.total > 0)) {
			status.textContent = "No samples in " + rangeText(b ? sel.b : sel.a) + ".";
			return;
		}
		var title = b ? "Differential: " + rangeText(sel.a) + " → " + rangeText(sel.b) : "Flame Graph: " + rangeText(sel.a);
		var svg = svgOf(t, !!b, title);
		status.textContent = title + " (" + commas(t.total) + " samples)" + (b ? "" : "; click two more cells to compare.");
		window.scopeSVG = svg;
		frame.width = W;
		frame.height = +/height="([0-9.]+)"/.exec(svg)[1] + 4;
		frame.srcdoc = LOADER;
		frame.classList.remove("fk-hide");
		svgURL = URL.createObjectURL(new Blob(['<?xml version="1.0" standalone="no"?>\n' + svg], {type: "image/svg+xml"}));
		dl.href = svgURL;
		dl.classList.remove("fk-hide");
	}
	load();
	document.body.setAttribute("data-ready", "1");
})().catch(function (err) {
	document.getElementById("fk-status").textContent = "Error: " + err;
	throw err;
});
