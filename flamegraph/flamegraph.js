"use strict";
// Interactivity for flamekit flame graphs: hover details, click to zoom,
// regexp search, state in the URL. Frames are the children of #frames, in
// pre-order (a parent before its children), each holding <title>, <rect> and
// an optional <text>, with data-x and data-w: offset and width in counts.
// The script reads the frames once into arrays, then touches the DOM only for
// frames whose state changes.
(function () {
	var NS = "http://www.w3.org/2000/svg", XPAD = 10, HIGHLIGHT = "rgb(230,0,230)";
	var framesEl = document.getElementById("frames");
	var svg = framesEl.ownerSVGElement;
	var total = +svg.getAttribute("data-total");
	var charw = svg.getAttribute("data-fs") * svg.getAttribute("data-fw");
	var nametype = svg.getAttribute("data-nametype");
	var fullw = svg.getAttribute("width") - 2 * XPAD;
	var details = document.getElementById("details").firstChild;
	var matchedtxt = document.getElementById("matched").firstChild;
	var searchbtn = document.getElementById("search");
	var icbtn = document.getElementById("ignorecase");
	var unzoombtn = document.getElementById("unzoom");

	var els = Array.prototype.slice.call(framesEl.children), n = els.length;
	var X = new Float64Array(n), W = new Float64Array(n), Y = new Float64Array(n);
	var P = new Int32Array(n), END = new Int32Array(n);
	var rects = new Array(n), names = new Array(n);
	var fh = n ? +els[0].children[1].getAttribute("height") + 1 : 1;
	var open = [], depth, i;
	for (i = 0; i < n; i++) {
		var e = els[i];
		rects[i] = e.children[1];
		X[i] = +e.getAttribute("data-x");
		W[i] = +e.getAttribute("data-w");
		Y[i] = +rects[i].getAttribute("y");
		depth = Math.round(Math.abs(Y[i] - Y[0]) / fh);
		// Close the frames that are not ancestors: their subtree ends here.
		while (open.length > depth) END[open.pop()] = i;
		P[i] = depth > 0 ? open[depth - 1] : -1;
		open.push(i);
	}
	while (open.length) END[open.pop()] = n;
	var pt = fullw / total; // pixels per count, unzoomed

	// While zoomed, this layer shows the labels that fit, so the frames' own
	// text is never rewritten.
	var labelsEl = document.createElementNS(NS, "g");
	labelsEl.setAttribute("id", "labels");
	framesEl.parentNode.insertBefore(labelsEl, framesEl.nextSibling);
	var pool = [], poolText = [], poolFrame = [], poolUsed = 0;

	// A zoom draws the frames' group through a clip to the drawing width,
	// in one of two ways. Scaled: the group is scaled so that the zoomed
	// frame's place fills the width; the frames outside it fall outside the
	// clip and need no change; the static labels are hidden, and only the
	// zoomed frame's rectangle and those whose static place (rounded to
	// 0.1 px) would be drawn more than EXACT px off are rewritten. But a
	// change of the group's scale makes the browser lay out every frame
	// again. Moved: the group is shifted by MOVED_X, which puts every static
	// frame outside the clip, and the zoomed frame, its ancestors and its
	// descendants are rewritten where the zoom shows them: the browser lays
	// out only those. zoom picks the way with less work; RELAYOUT is the
	// cost of laying out a frame again relative to rewriting one.
	var EXACT = 0.5, MOVED_X = +svg.getAttribute("width"), RELAYOUT = 1 / 40;
	// Zoom state: the zoomed frame, the ancestors marked "parent", the
	// rectangles moved from their static place SX, SW (drawn at RX, RW) and
	// those given corners of their own; want marks the rectangles a zoom
	// moves with its generation gen.
	var zoomed = -1, parents = [], moved = [], cornered = [], gen = 0, want = new Int32Array(n);
	var SX = new Float64Array(n), SW = new Float64Array(n), RX = new Float64Array(n), RW = new Float64Array(n);
	for (i = 0; i < n; i++) {
		RX[i] = SX[i] = round1(XPAD + X[i] * pt);
		RW[i] = SW[i] = round1(round1(XPAD + (X[i] + W[i]) * pt) - SX[i]);
	}
	var texts = framesEl.querySelectorAll("text");
	var clipRect = document.createElementNS(NS, "rect"), clipEl = document.createElementNS(NS, "clipPath");
	clipEl.setAttribute("id", "zoomclip");
	clipEl.appendChild(clipRect);
	clipRect.setAttribute("y", 0);
	clipRect.setAttribute("height", svg.getAttribute("height"));
	framesEl.parentNode.insertBefore(clipEl, framesEl);
	// Search state.
	var term = null, ignorecase = false, hits = [], isHit = new Uint8Array(n), fills = new Array(n);

	function nameOf(i) {
		var s = names[i];
		if (s === undefined) {
			s = els[i].getAttribute("data-n");
			if (s === null) {
				var t = els[i].firstElementChild.textContent, k = t.lastIndexOf(" (");
				s = k >= 0 ? t.slice(0, k) : t;
			}
			names[i] = s;
		}
		return s;
	}
	// label cuts a name to fit w pixels, estimating the width of a character
	// from the font size and the font width ratio, as the static SVG does.
	function label(i, w) {
		var chars = Math.floor(w / charw);
		if (chars < 3) return "";
		var s = nameOf(i);
		return s.length <= chars ? s : s.slice(0, chars - 2) + "..";
	}
	function round1(v) {
		return Math.round(v * 10) / 10;
	}
	// ink returns the colour of a label on a fill ("#rrggbb" or
	// "rgb(r,g,b)"): black unless black falls short of WCAG's 4.5:1 contrast
	// and white contrasts more, as the renderer chose the static labels'.
	var inks = {};
	function ink(fill) {
		var k = inks[fill];
		if (k) return k;
		var m = /^#(..)(..)(..)$/.exec(fill) || /(\d+)\D+(\d+)\D+(\d+)/.exec(fill), l = 0;
		for (var c = 1; m && c <= 3; c++) {
			var v = (fill.charAt(0) === "#" ? parseInt(m[c], 16) : +m[c]) / 255;
			v = v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
			l += [0, 0.2126, 0.7152, 0.0722][c] * v;
		}
		var black = (l + 0.05) / 0.05, white = 1.05 / (l + 0.05);
		return (inks[fill] = m && black < 4.5 && white > black ? "#fff" : "#000");
	}
	// setInk gives frame i's static label the ink of its current fill: the
	// class "w" makes it white.
	function setInk(i) {
		var t = els[i].children[2];
		if (t) t.classList.toggle("w", ink(rects[i].getAttribute("fill")) === "#fff");
	}
	// place draws frame i's rectangle at x, w, writing only what changes.
	function place(i, x, w) {
		if (RX[i] !== x) rects[i].setAttribute("x", (RX[i] = x));
		if (RW[i] !== w) rects[i].setAttribute("width", (RW[i] = w));
	}
	// restore puts the moved rectangles not wanted by this generation back
	// where the static SVG has them.
	function restore() {
		for (var k = 0; k < moved.length; k++) if (want[moved[k]] !== gen) place(moved[k], SX[moved[k]], SW[moved[k]]);
	}
	function showTexts(v) {
		for (var k = 0; k < texts.length; k++) texts[k].style.visibility = v;
	}
	// showLabel puts the next pooled label, frame i's, at x, y.
	function showLabel(i, x, y, s) {
		var t = pool[poolUsed];
		if (!t) {
			t = pool[poolUsed] = document.createElementNS(NS, "text");
			labelsEl.appendChild(t);
		} else if (poolUsed >= poolText.length || poolText[poolUsed] === null) {
			t.style.display = "";
		}
		t.setAttribute("x", Math.round(x * 100) / 100);
		t.setAttribute("y", y);
		if (poolText[poolUsed] !== s) t.textContent = poolText[poolUsed] = s;
		poolFrame[poolUsed] = i;
		poolUsed++;
	}
	// inkLabels gives the shown labels the ink of their frames' fills.
	function inkLabels() {
		for (var k = 0; k < poolUsed; k++) pool[k].classList.toggle("w", ink(rects[poolFrame[k]].getAttribute("fill")) === "#fff");
	}
	function hideLabels(from) {
		for (var k = from; k < pool.length; k++) {
			if (poolText[k] !== null) {
				pool[k].style.display = "none";
				poolText[k] = null;
			}
		}
	}

	// zoom shows frame i at the full width, its ancestors above (or below)
	// it at the full width too, and its descendants in proportion.
	function zoom(i) {
		if (!(i >= 0 && i < n)) return;
		if (P[i] < 0 && W[i] >= total) return unzoom();
		var a, d, end = END[i], x0 = X[i], scale = fullw / W[i], ts = scale / pt, k = pt, x = XPAD + x0 * pt, fs = [i];
		for (d = i + 1; d < end; d++) {
			var e = XPAD + X[d] * pt;
			if (Math.abs(e - SX[d]) * ts > EXACT || Math.abs(e + W[d] * pt - SX[d] - SW[d]) * ts > EXACT) fs.push(d);
		}
		var moving = n * RELAYOUT + fs.length >= end - i;
		if (moving) {
			for (fs = [], d = i; d < end; d++) fs.push(d);
			ts = 1;
			k = scale;
			x = MOVED_X;
		}
		clear();
		for (a = P[i]; a >= 0; a = P[a]) fs.push(a);
		for (d = 0; d < fs.length; d++) want[fs[d]] = gen;
		restore();
		for (d = 0; d < fs.length; d++) {
			a = fs[d];
			place(a, a < i ? x : x + (X[a] - x0) * k, (a < i ? W[i] : W[a]) * k);
		}
		moved = fs;
		framesEl.setAttribute("transform", "matrix(" + ts + ",0,0,1," + (XPAD - ts * x) + ",0)");
		clipRect.setAttribute("x", x);
		clipRect.setAttribute("width", W[i] * k);
		if (zoomed < 0) framesEl.setAttribute("clip-path", "url(#zoomclip)");
		showTexts(moving ? "" : "hidden");
		for (a = P[i]; a >= 0; a = P[a]) {
			parents.push(a);
			els[a].classList.add("parent");
		}
		// Scaled corners would stretch: wide frames get corners of their
		// own.
		if (!moving && ts > 2) {
			fs = parents.slice();
			for (d = i; d < end;) {
				if (W[d] * scale < 8) {
					d = END[d]; // its descendants are narrower still
					continue;
				}
				fs.push(d++);
			}
			for (d = 0; d < fs.length; d++) rects[fs[d]].style.rx = 2 / ts + "px";
			cornered = fs;
		}

		poolUsed = 0;
		var dy = (fh - 1) / 2 + 3, minw = 3 * charw;
		for (a = 0; a < parents.length; a++) showLabel(parents[a], XPAD + 3, Y[parents[a]] + dy, label(parents[a], fullw));
		for (d = i; d < end;) {
			var w = W[d] * scale;
			if (w < minw) {
				d = END[d]; // its descendants are narrower still
				continue;
			}
			showLabel(d, XPAD + (X[d] - x0) * scale + 3, Y[d] + dy, label(d, w));
			d++;
		}
		hideLabels(poolUsed);
		inkLabels();
		labelsEl.style.display = "";
		unzoombtn.classList.remove("hide");
		zoomed = i;
		update();
	}
	// clear undoes a zoom's marks and starts the next generation.
	function clear() {
		var k;
		for (k = 0; k < parents.length; k++) els[parents[k]].classList.remove("parent");
		for (k = 0; k < cornered.length; k++) rects[cornered[k]].style.rx = "";
		parents = [];
		cornered = [];
		gen++;
	}
	function unzoom() {
		clear();
		restore();
		moved = [];
		showTexts("");
		framesEl.removeAttribute("transform");
		framesEl.removeAttribute("clip-path");
		labelsEl.style.display = "none";
		unzoombtn.classList.add("hide");
		zoomed = -1;
		update();
	}

	function search(t) {
		if (t !== undefined) term = t === "" ? null : t;
		for (var k = 0; k < hits.length; k++) {
			rects[hits[k]].setAttribute("fill", fills[hits[k]]);
			setInk(hits[k]);
			isHit[hits[k]] = 0;
		}
		hits = [];
		if (zoomed >= 0) inkLabels();
		if (term === null) {
			searchbtn.classList.remove("show");
			searchbtn.firstChild.nodeValue = "Search";
			matchedtxt.nodeValue = " ";
			return save();
		}
		var re;
		try {
			re = new RegExp(term, ignorecase ? "i" : "");
		} catch (err) {
			matchedtxt.nodeValue = "Invalid regexp: " + term;
			return save();
		}
		for (var i = 0; i < n; i++) {
			if (re.test(nameOf(i))) {
				hits.push(i);
				isHit[i] = 1;
				fills[i] = rects[i].getAttribute("fill");
			}
		}
		for (k = 0; k < hits.length; k++) {
			rects[hits[k]].setAttribute("fill", HIGHLIGHT);
			setInk(hits[k]);
		}
		if (zoomed >= 0) inkLabels();
		searchbtn.classList.add("show");
		searchbtn.firstChild.nodeValue = "Reset Search";
		showMatched();
		save();
	}
	// showMatched shows the share of the zoomed frame (or of all) covered by
	// matches, counting nested matches once: in pre-order, a match's subtree
	// is skipped.
	function showMatched() {
		var lo = 0, hi = n, whole = total, count = 0;
		if (zoomed >= 0) {
			lo = zoomed;
			hi = END[zoomed];
			whole = W[zoomed];
			for (var a = zoomed; a >= 0; a = P[a]) if (isHit[a]) count = whole;
		}
		for (var i = lo; i < hi && count < whole;) {
			if (isHit[i]) {
				count += W[i];
				i = END[i];
			} else i++;
		}
		var pct = 100 * Math.min(count, whole) / whole;
		var shown = term.length > 40 ? term.slice(0, 39) + "\u2026" : term;
		matchedtxt.nodeValue = "Matched: " + (pct === 100 ? "100" : pct.toFixed(1)) + "% (/" + shown + "/" + (ignorecase ? "i" : "") + ")";
	}
	function update() {
		if (term !== null) search();
		else save();
	}
	function searchPrompt() {
		if (term !== null) return search("");
		var t = prompt("Enter a search term (regexp allowed, eg: ^ext4_)" +
			(ignorecase ? ", ignoring case" : "") + "\nPress Ctrl-i to toggle case sensitivity", "");
		if (t !== null) search(t);
	}
	function toggleIgnorecase() {
		ignorecase = !ignorecase;
		icbtn.classList.toggle("show", ignorecase);
		update();
	}

	// save keeps the zoom and search state in the URL (?x=&y=&s=&i=), a
	// moment later: replacing the URL of a big SVG document takes a while.
	var saveTimer = 0;
	function save() {
		clearTimeout(saveTimer);
		saveTimer = setTimeout(saveNow, 100);
	}
	function saveNow() {
		try {
			var q = new URLSearchParams(location.search);
			q.delete("x");
			q.delete("y");
			q.delete("s");
			q.delete("i");
			if (zoomed >= 0) {
				q.set("x", X[zoomed]);
				q.set("y", Y[zoomed]);
			}
			if (term !== null) q.set("s", term);
			if (ignorecase) q.set("i", "1");
			var s = q.toString();
			history.replaceState(null, "", s ? "?" + s : location.pathname);
		} catch (err) {
			// A page without history (a data: URL) keeps no state.
		}
	}
	function load() {
		var q = new URLSearchParams(location.search);
		if (q.get("i") === "1") {
			ignorecase = true;
			icbtn.classList.add("show");
		}
		var x = q.get("x"), y = q.get("y");
		if (x !== null && y !== null) {
			for (var i = 0; i < n; i++) {
				if (X[i] === +x && Y[i] === +y) {
					zoom(i);
					break;
				}
			}
		}
		if (q.get("s")) search(q.get("s"));
	}

	// openView scrolls a page taller than the window to what a reader looks
	// at first, without changing the drawing: a flame graph, whose root is
	// at the bottom, opens on the bottom (the root, the widest frames and the
	// details line), or, with a zoom restored from the URL, on the zoomed
	// frame with a few ancestors under it; an icicle graph opens at the top,
	// where its root is. (An SVG shown as an image runs no script and shows
	// all of itself.)
	function openView() {
		var h = +svg.getAttribute("height"), y = h - window.innerHeight;
		if (!n || Y[0] < h / 2 || y <= 0) return;
		if (zoomed >= 0) y = Math.min(y, Math.max(0, Y[zoomed] + 4 * fh - window.innerHeight));
		window.scrollTo(0, y);
	}

	function frameOf(node) {
		while (node && node.parentNode !== framesEl) node = node.parentNode;
		return node ? els.indexOf(node) : -1;
	}
	function describe(i) {
		var t = els[i].firstElementChild.textContent;
		if (zoomed >= 0 && i >= zoomed && i < END[zoomed] && i !== zoomed) {
			var pct = (100 * W[i] / W[zoomed]).toFixed(2) + "% of zoomed frame";
			t = t.slice(-1) === ")" ? t.slice(0, -1) + ", " + pct + ")" : t + " (" + pct + ")";
		}
		return nametype + " " + t;
	}

	framesEl.addEventListener("click", function (e) {
		var i = frameOf(e.target);
		if (i < 0) return;
		// A plain click follows a link frame; Ctrl-click zooms it.
		if (els[i].localName === "a" && !e.ctrlKey) return;
		e.preventDefault();
		zoom(i);
	});
	framesEl.addEventListener("mouseover", function (e) {
		var i = frameOf(e.target);
		if (i >= 0) details.nodeValue = describe(i);
	});
	framesEl.addEventListener("mouseout", function () {
		details.nodeValue = " ";
	});
	unzoombtn.addEventListener("click", unzoom);
	searchbtn.addEventListener("click", searchPrompt);
	icbtn.addEventListener("click", toggleIgnorecase);
	window.addEventListener("keydown", function (e) {
		if (e.key === "F3" || (e.ctrlKey && (e.key === "f" || e.key === "F"))) {
			e.preventDefault();
			searchPrompt();
		} else if (e.ctrlKey && (e.key === "i" || e.key === "I")) {
			e.preventDefault();
			toggleIgnorecase();
		}
	});

	// The API tests and tools use: zoom takes a frame element or its index.
	window.flamegraph = {
		zoom: function (f) {
			zoom(typeof f === "number" ? f : frameOf(f));
		},
		unzoom: unzoom,
		search: search,
		resetSearch: function () {
			search("");
		},
		toggleIgnorecase: toggleIgnorecase,
		frames: els
	};
	load();
	openView();
})();
