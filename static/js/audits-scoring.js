/* Audit scoring on weak connections (issue 4 §3). Progressive: without this file each tap is an htmx
   post, and without JavaScript the page is a plain form.
   - every answer is first written to localStorage, then sent in order, one at a time;
   - each answer carries a client key, so a re-send after a lost reply changes nothing on the server;
   - while the network is down the page says so (「離線中，答案已暫存」) and retries; on reconnect the
     queue is re-sent in order; answers survive a reload of the page;
   - the server never overwrites another auditor's answer: it answers with a conflict box instead. */
(function () {
  "use strict";
  /* The finalise page: answers of this auditor still waiting on this tablet would be left out of the
     result (and refused once it is submitted). Hold the submit button until they are sent. */
  var guard = document.getElementById("finalise-guard");
  if (guard && window.localStorage) {
    var waiting = 0;
    try {
      waiting = (JSON.parse(window.localStorage.getItem(
        "audit-answers:" + guard.getAttribute("data-audit") + ":" + guard.getAttribute("data-user"))) || []).length;
    } catch (e) { waiting = 0; }
    if (waiting) {
      guard.textContent = "本平板仍有 " + waiting + " 題答案暫存未送出，送出查核結果前請先回到評分頁面，待補送完成。";
      var back = document.createElement("a");
      back.href = guard.getAttribute("data-score-url");
      back.textContent = "回到評分頁面補送";
      guard.appendChild(document.createTextNode(" "));
      guard.appendChild(back);
      guard.hidden = false;
      document.querySelectorAll("form button[type=submit]").forEach(function (b) { b.disabled = true; });
    }
    return;
  }
  var root = document.getElementById("scoring");
  if (!root || !window.fetch || !window.localStorage || !window.FormData) { return; }
  document.documentElement.classList.add("scoring-js");

  var storeKey = "audit-answers:" + root.getAttribute("data-audit") + ":" + root.getAttribute("data-user");
  var netBox = document.getElementById("net-status");
  var inFlight = null, retryDelay = 3000, retryTimer = null, offline = false, hideTimer = null, finaliseUrl = null;

  var SEND_TIMEOUT = 20000;             // ms before a silent request is given up and retried
  var MAX_AGE = 3 * 24 * 3600 * 1000;   // answers never sent within 3 days are dropped, not kept forever
  function load() {
    try {
      return (JSON.parse(window.localStorage.getItem(storeKey)) || []).filter(function (e) {
        return Date.now() - e.at < MAX_AGE;
      });
    } catch (e) { return []; }
  }
  function store(queue) {
    try {
      if (queue.length) { window.localStorage.setItem(storeKey, JSON.stringify(queue)); }
      else { window.localStorage.removeItem(storeKey); }   // nothing left behind once everything is sent
    } catch (e) { /* full or blocked */ }
  }
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }
  function fieldset(itemId) { return document.getElementById("item-" + itemId); }

  function fieldsOf(fs) {
    var data = {};
    fs.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (!el.name || el.disabled || el.type === "file" || el.type === "submit" || el.type === "button") { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      data[el.name] = el.value;
    });
    return data;
  }

  function setState(fs, html, cls) {
    var box = fs && fs.querySelector(".save-state");
    if (box) { box.innerHTML = "<span class=\"" + cls + "\">" + html + "</span>"; }
  }

  function showNet(text, kind) {
    if (!netBox) { return; }
    window.clearTimeout(hideTimer);
    netBox.textContent = text;
    netBox.className = "net-status " + kind;
    netBox.hidden = false;
  }

  function refreshBanner() {
    var answers = load().length, photos = typeof pendingPhotos === "number" ? pendingPhotos : 0;
    var pending = answers + photos;
    var what = [answers ? answers + " 題" : "", photos ? "照片 " + photos + " 張" : ""].filter(Boolean).join("、");
    if (finaliseUrl) {   // 「檢查並送出」 was tapped while answers waited: go once they are all sent
      if (!pending) { window.location.href = finaliseUrl; return; }
      showNet("尚有答案暫存未送出（" + what + "），補送完成後自動前往送出頁面。" +
              (offline ? "目前離線中，恢復連線後補送。" : ""), offline ? "is-offline" : "is-syncing");
      return;
    }
    if (offline && pending) {
      showNet("離線中，答案已暫存（" + what + "待送出）。恢復連線後會自動依序補送，請勿關閉此頁。", "is-offline");
    } else if (offline) {
      showNet("離線中，答案已暫存。恢復連線後會自動補送。", "is-offline");
    } else if (pending) {
      showNet("正在補送暫存的答案（" + what + "）…", "is-syncing");
    } else if (netBox && !netBox.hidden) {
      showNet("已恢復連線，暫存的答案都已送出。", "is-online");
      hideTimer = window.setTimeout(function () { netBox.hidden = true; }, 6000);
    }
  }

  /* The tally while answers wait locally: count the checked boxes on the page. */
  function localTally() {
    var tally = document.getElementById("tally");
    if (!tally || tally.getAttribute("data-rule") !== "items") { return; }
    var pending = load().length;
    if (!pending) { return; }
    var total = +tally.getAttribute("data-total"), mark = +tally.getAttribute("data-pass-mark");
    var passed = root.querySelectorAll(".score-item input[value=pass]:checked").length;
    var scored = root.querySelectorAll(".score-item input[type=radio]:checked, .score-item input[type=checkbox][value=na]:checked").length;
    var need = Math.max(0, mark - passed);
    var main = tally.querySelector(".tally-main"), sub = tally.querySelector(".tally-sub");
    if (main) { main.textContent = "已合格 " + passed + "／" + total + (need ? "，尚差 " + need + " 題" : "，已達合格題數"); }
    if (sub) { sub.textContent = "已評 " + scored + "／" + total + "（含暫存 " + pending + " 題）"; }
  }

  function enqueue(fs, force) {
    var itemId = fs.getAttribute("data-item");
    var queue = load();
    var entry = { key: newKey(), item: itemId, url: fs.getAttribute("data-url"), data: fieldsOf(fs), at: Date.now() };
    if (force) { entry.data.force_item = itemId; }
    var waiting = null;
    queue.forEach(function (e) { if (e.item === itemId && e.key !== inFlight) { waiting = e; } });
    if (waiting) {
      // A newer tap on an item still waiting: replace it in place (keeps the order of first taps) and keep
      // the revision the screen showed before the first tap.
      entry.data["rev-" + itemId] = waiting.data["rev-" + itemId];
      if (waiting.data.force_item) { entry.data.force_item = itemId; }
      queue[queue.indexOf(waiting)] = entry;
    } else {
      queue.push(entry);
    }
    store(queue);
    var note = fs.querySelector("details.note");
    if (note && entry.data["outcome-" + itemId] === "fail") { note.open = true; }   // a fail wants its reason
    setState(fs, offline ? "● 已暫存，待連線後送出" : "● 儲存中…", "pending");
    localTally();
    flush();
  }

  function drop(key) {
    store(load().filter(function (e) { return e.key !== key; }));
  }

  function swapIn(html, itemId, state) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var fresh = tpl.content.getElementById("item-" + itemId);
    var current = fieldset(itemId);
    var stillWaiting = load().some(function (e) { return e.item === itemId; });
    var active = document.activeElement;
    var typing = current && active && current.contains(active) &&
      (active.tagName === "TEXTAREA" || (active.tagName === "INPUT" && active.type !== "radio" && active.type !== "checkbox"));
    if (fresh && current && (stillWaiting || (typing && state !== "conflict"))) {
      // Keep what the auditor is looking at or typing; take only the new revision and saved state.
      current.setAttribute("data-revision", fresh.getAttribute("data-revision"));
      var rev = current.querySelector("input[name=\"rev-" + itemId + "\"]"), freshRev = fresh.querySelector("input[name=\"rev-" + itemId + "\"]");
      if (rev && freshRev) { rev.value = freshRev.value; }
      var box = current.querySelector(".save-state"), freshBox = fresh.querySelector(".save-state");
      if (box && freshBox && !stillWaiting) { box.innerHTML = freshBox.innerHTML; }
    } else if (fresh && current) {
      var focusId = active && current.contains(active) ? active.id : null;
      current.replaceWith(fresh);
      if (window.htmx) { window.htmx.process(fresh); }
      if (focusId && document.getElementById(focusId)) { document.getElementById(focusId).focus(); }
    }
    var tally = tpl.content.getElementById("tally"), oldTally = document.getElementById("tally");
    if (tally && oldTally) {
      tally.removeAttribute("hx-swap-oob");
      oldTally.replaceWith(tally);
    }
    localTally();
  }

  function scheduleRetry() {
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function flush() {
    if (inFlight) { return; }
    var queue = load();
    if (!queue.length) { refreshBanner(); return; }
    var entry = queue[0];
    inFlight = entry.key;
    var body = new FormData();
    Object.keys(entry.data).forEach(function (name) { body.append(name, entry.data[name]); });
    body.append("client_key", entry.key);
    // A weak signal can leave a request hanging for minutes: give up after SEND_TIMEOUT and send it again
    // (the same client key, so an answer that did arrive is not applied twice).
    var controller = window.AbortController ? new window.AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, SEND_TIMEOUT) : null;
    window.fetch(entry.url, {
      method: "POST", body: body, credentials: "same-origin", signal: controller ? controller.signal : undefined,
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() }
    }).then(function (resp) {
      return resp.text().then(function (html) {
        return { status: resp.status, html: html, state: resp.headers.get("X-Answer-Status") };
      });
    }).then(function (res) {
      window.clearTimeout(timer);   // the whole reply arrived (a body cut off mid-way is aborted too)
      inFlight = null;
      if (res.status === 401 || res.status === 400) {
        // Logged out or the form token expired: keep the answers, ask for a reload/login.
        setState(fieldset(entry.item), "● 已暫存：" + (res.status === 401 ? "登入已逾時，請重新登入後再開啟本頁" : "請重新整理本頁") + "，答案會自動補送", "pending");
        showNet("答案已暫存在本機，但無法送出：" + (res.status === 401 ? "登入已逾時，請重新登入後再開啟本頁（暫存的答案會自動補送）。" : "請重新整理本頁。"), "is-offline");
        return;
      }
      if (res.status >= 500) { throw new Error("server " + res.status); }
      drop(entry.key);   // the server decided: saved, unchanged, a re-send, a conflict or a refusal
      offline = false;
      retryDelay = 3000;
      if (res.status === 403 || res.status === 404) {
        setState(fieldset(entry.item), "無法儲存：您沒有此查核的評分權限。", "error");
      } else {
        swapIn(res.html, entry.item, res.state);
      }
      refreshBanner();
      flush();
    }).catch(function () {
      window.clearTimeout(timer);
      inFlight = null;
      offline = true;
      refreshBanner();
      load().forEach(function (e) { setState(fieldset(e.item), "● 已暫存，待連線後送出", "pending"); });
      scheduleRetry();
    });
  }

  /* Take over the requests htmx would make from a scoring row. */
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    var fs = elt && elt.closest ? elt.closest(".score-item") : null;
    var verb = evt.detail.requestConfig ? evt.detail.requestConfig.verb : "post";
    if (!fs || !root.contains(fs) || verb !== "post") { return; }
    evt.preventDefault();
    enqueue(fs, elt.getAttribute && elt.getAttribute("name") === "force_item");
  });

  /* 「檢查並送出查核結果」 while answers are still on their way: send them first, then go. */
  root.querySelectorAll("a[href$='/finalise']").forEach(function (link) {
    link.addEventListener("click", function (evt) {
      if (!load().length && !pendingPhotos) { return; }
      evt.preventDefault();
      finaliseUrl = link.href;
      refreshBanner();
      if (!offline) { flush(); flushPhotos(); }
    });
  });

  /* With the script running, answers save per tap: an Enter key must not post the whole form. */
  var form = document.getElementById("score-form");
  if (form) {
    form.addEventListener("submit", function (evt) {
      if (evt.submitter && evt.submitter.getAttribute("name") === "force_item") { return; }
      evt.preventDefault();
      flush();
    });
  }

  /* ---- Photos: made smaller on the tablet, kept in IndexedDB while offline, sent one at a time. ----
     The server resizes again and keeps one photo per client key, so a re-send after a lost reply adds
     nothing. Without IndexedDB (or canvas) the photo form posts as before. */
  var PHOTO_SIDE = 1600, photoDb = null, photoBusy = false, photoDelay = 3000, photoTimer = null;
  var pendingPhotos = 0;

  function openPhotoDb(done) {
    if (photoDb) { done(photoDb); return; }
    if (!window.indexedDB) { done(null); return; }
    var req;
    try { req = window.indexedDB.open("audit-photos", 1); } catch (e) { done(null); return; }
    req.onupgradeneeded = function () { req.result.createObjectStore("queue", { keyPath: "key" }); };
    req.onsuccess = function () { photoDb = req.result; done(photoDb); };
    req.onerror = function () { done(null); };
  }
  function photoStore(mode) { return photoDb.transaction("queue", mode).objectStore("queue"); }
  function queuedPhotos(done) {
    var req = photoStore("readonly").getAll();
    req.onsuccess = function () {
      var mine = (req.result || []).filter(function (e) { return e.scope === storeKey && Date.now() - e.at < MAX_AGE; });
      mine.sort(function (x, y) { return x.at - y.at; });
      done(mine);
    };
    req.onerror = function () { done([]); };
  }
  function dropPhoto(key, done) {
    var req = photoStore("readwrite").delete(key);
    req.onsuccess = req.onerror = function () { if (done) { done(); } };
  }

  function shrink(file, done) {
    // Decode upright (EXIF orientation applied), fit in PHOTO_SIDE, re-encode as JPEG; the original on failure.
    if (!window.createImageBitmap || !file.type || file.type.indexOf("image/") !== 0) { done(file); return; }
    window.createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      canvas.toBlob(function (blob) { done(blob && blob.size < file.size ? blob : file); }, "image/jpeg", 0.85);
    }).catch(function () { done(file); });
  }

  function photoRow(itemId) { return document.getElementById("photos-" + itemId); }
  function photoNote(itemId, text, cls) {
    var row = photoRow(itemId);
    if (!row) { return; }
    var box = row.querySelector(".photo-pending");
    if (!box) {
      box = document.createElement("p");
      box.setAttribute("role", "status");
      row.insertBefore(box, row.querySelector("form"));
    }
    box.className = "photo-pending small " + (cls || "pending");
    box.textContent = text;
    if (!text) { box.remove(); }
  }
  function showQueuedPhotos() {
    queuedPhotos(function (list) {
      pendingPhotos = list.length;
      var byItem = {};
      list.forEach(function (e) { byItem[e.item] = (byItem[e.item] || 0) + 1; });
      Object.keys(byItem).forEach(function (item) {
        photoNote(item, "● " + byItem[item] + " 張照片已暫存，" + (offline ? "待連線後上傳" : "上傳中…"));
      });
      refreshBanner();
    });
  }

  function enqueuePhoto(form) {
    var input = form.querySelector("input[type=file]");
    var row = form.closest(".photo-row");
    var itemId = row ? row.id.replace("photos-", "") : null;
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    if (!files.length || !itemId) { photoNote(itemId, "請選擇照片。", "error"); return; }
    photoNote(itemId, "● 照片處理中…");
    var left = files.length;
    files.forEach(function (file) {
      shrink(file, function (blob) {
        var entry = { key: newKey(), scope: storeKey, item: itemId, url: form.getAttribute("action"), blob: blob,
                      name: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg", at: Date.now() };
        var req = photoStore("readwrite").put(entry);
        req.onsuccess = req.onerror = function () {
          left -= 1;
          if (left === 0) { input.value = ""; showQueuedPhotos(); flushPhotos(); }
        };
      });
    });
  }

  function flushPhotos() {
    if (photoBusy || !photoDb) { return; }
    queuedPhotos(function (list) {
      pendingPhotos = list.length;
      if (!list.length) { refreshBanner(); return; }
      var entry = list[0];
      photoBusy = true;
      var body = new FormData();
      body.append("photo", entry.blob, entry.name);
      body.append("client_key", entry.key);
      body.append("csrf_token", csrfToken());
      var controller = window.AbortController ? new window.AbortController() : null;
      var timer = controller ? window.setTimeout(function () { controller.abort(); }, SEND_TIMEOUT * 3) : null;
      window.fetch(entry.url, {
        method: "POST", body: body, credentials: "same-origin", signal: controller ? controller.signal : undefined,
        headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() }
      }).then(function (resp) {
        return resp.text().then(function (html) { return { status: resp.status, html: html }; });
      }).then(function (res) {
        window.clearTimeout(timer);
        photoBusy = false;
        if (res.status === 401 || res.status === 400) {
          photoNote(entry.item, "● 照片已暫存，但無法上傳：" + (res.status === 401 ? "登入已逾時，請重新登入後再開啟本頁。" : "請重新整理本頁。"));
          return;
        }
        if (res.status >= 500) { throw new Error("server " + res.status); }
        dropPhoto(entry.key, function () {
          photoDelay = 3000;
          var tpl = document.createElement("template");
          tpl.innerHTML = res.html;
          var fresh = tpl.content.getElementById("photos-" + entry.item), current = photoRow(entry.item);
          if (fresh && current && (res.status < 400 || res.status === 422)) {
            current.replaceWith(fresh);
            if (window.htmx) { window.htmx.process(fresh); }
          } else if (res.status === 403 || res.status === 404) {
            photoNote(entry.item, "無法上傳：您沒有此查核的評分權限。", "error");
          }
          showQueuedPhotos();
          flushPhotos();
        });
      }).catch(function () {
        window.clearTimeout(timer);
        photoBusy = false;
        offline = true;
        showQueuedPhotos();
        window.clearTimeout(photoTimer);
        photoTimer = window.setTimeout(flushPhotos, photoDelay);
        photoDelay = Math.min(photoDelay * 2, 30000);
      });
    });
  }

  openPhotoDb(function (dbh) {
    if (!dbh) { return; }
    document.documentElement.classList.add("photo-queue");
    root.addEventListener("submit", function (evt) {
      var form = evt.target;
      if (!form.classList || !form.classList.contains("photo-form")) { return; }
      evt.preventDefault();
      evt.stopPropagation();
      enqueuePhoto(form);
    }, true);
    showQueuedPhotos();
    flushPhotos();
  });

  /* htmx would post the photo form itself: the queue above takes it over. */
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (photoDb && elt && elt.classList && elt.classList.contains("photo-form") && root.contains(elt)) {
      evt.preventDefault();
    }
  });

  /* Offline with answers or photos still waiting: leaving the page would need it reloaded, which fails
     without a connection. Ask first (the answers stay stored either way and are sent on the next visit). */
  window.addEventListener("beforeunload", function (evt) {
    if (offline && (load().length || pendingPhotos)) { evt.preventDefault(); evt.returnValue = ""; }
  });

  window.addEventListener("online", function () { offline = false; retryDelay = 3000; flush(); flushPhotos(); });
  window.addEventListener("offline", function () { offline = true; refreshBanner(); });

  /* Answers kept from an earlier visit (page closed while offline): show them, then send them. */
  var kept = load();
  kept.forEach(function (entry) {
    var fs = fieldset(entry.item);
    if (!fs) { return; }
    Object.keys(entry.data).forEach(function (name) {
      fs.querySelectorAll("[name=\"" + name + "\"]").forEach(function (el) {
        if (el.type === "radio" || el.type === "checkbox") { el.checked = el.value === entry.data[name]; }
        else if (el.type !== "hidden") { el.value = entry.data[name]; }
      });
    });
    setState(fs, "● 已暫存，待送出", "pending");
  });
  if (kept.length) { localTally(); flush(); }
})();
