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
	var rects = new Array(n), texts = new Array(n), names = new Array(n);
	var fh = n ? +els[0].children[1].getAttribute("height") + 1 : 1;
	var open = [], depth, i, j;
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

	// Zoom state: the zoomed frame, the classes set on frames ("z" shown,
	// "parent" ancestor), and the frames moved from their static place.
	var zoomed = -1, gen = 0;
	var markGen = new Int32Array(n), markCls = new Array(n), marked = [];
	var moved = new Uint8Array(n), movedList = [];
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
	function round(v, d) {
		return Math.round(v * d) / d;
	}
	// place moves frame i to x, w pixels wide, and refits its label.
	function place(i, x, w, labelw) {
		var r = rects[i];
		r.setAttribute("x", round(x, 100));
		r.setAttribute("width", round(w, 100));
		var s = label(i, labelw), t = texts[i];
		if (t === undefined) t = texts[i] = els[i].children[2] || null;
		if (!t) {
			if (s === "") return;
			t = texts[i] = document.createElementNS(NS, "text");
			t.setAttribute("y", Y[i] + (fh - 1) / 2 + 3);
			els[i].appendChild(t);
		}
		if (s !== "") t.setAttribute("x", round(x + 3, 100));
		t.textContent = s;
	}
	function move(i, x, w) {
		place(i, x, w, w);
		if (!moved[i]) {
			moved[i] = 1;
			movedList.push(i);
		}
	}
	function mark(i, cls) {
		markGen[i] = gen;
		marked.push(i);
		if (markCls[i] === cls) return;
		if (markCls[i]) els[i].classList.remove(markCls[i]);
		els[i].classList.add(cls);
		markCls[i] = cls;
	}
	function unmarkOld(old) {
		for (var k = 0; k < old.length; k++) {
			var i = old[k];
			if (markGen[i] !== gen && markCls[i]) {
				els[i].classList.remove(markCls[i]);
				markCls[i] = undefined;
			}
		}
	}

	function zoom(i) {
		if (!(i >= 0 && i < n)) return;
		if (P[i] < 0 && W[i] >= total) return unzoom();
		gen++;
		var old = marked;
		marked = [];
		var x0 = X[i], scale = fullw / W[i];
		for (var a = P[i]; a >= 0; a = P[a]) {
			mark(a, "parent");
			move(a, XPAD, fullw);
		}
		for (var d = i, end = END[i]; d < end; d++) {
			mark(d, "z");
			move(d, XPAD + (X[d] - x0) * scale, W[d] * scale);
		}
		unmarkOld(old);
		framesEl.classList.add("zoom");
		unzoombtn.classList.remove("hide");
		zoomed = i;
		update();
	}
	function unzoom() {
		gen++;
		unmarkOld(marked);
		marked = [];
		framesEl.classList.remove("zoom");
		unzoombtn.classList.add("hide");
		var pt = fullw / total;
		for (var k = 0; k < movedList.length; k++) {
			var i = movedList[k];
			// The static geometry: edges rounded to 0.1 px, label from the exact width.
			var x1 = round(XPAD + X[i] * pt, 10), x2 = round(XPAD + (X[i] + W[i]) * pt, 10);
			place(i, x1, round(x2 - x1, 10), W[i] * pt);
			moved[i] = 0;
		}
		movedList = [];
		zoomed = -1;
		update();
	}

	function search(t) {
		if (t !== undefined) term = t === "" ? null : t;
		for (var k = 0; k < hits.length; k++) {
			rects[hits[k]].setAttribute("fill", fills[hits[k]]);
			isHit[hits[k]] = 0;
		}
		hits = [];
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
		for (k = 0; k < hits.length; k++) rects[hits[k]].setAttribute("fill", HIGHLIGHT);
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

	// save keeps the zoom and search state in the URL (?x=&y=&s=&i=).
	function save() {
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
	function restore() {
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
	restore();
})();
