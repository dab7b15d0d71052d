/*
 * Kezek: signing with an electronic digital signature (EDS) in the browser.
 *
 * Two ways to sign behind one widget ([data-eds] in signatures/templates/signatures/_widget.html):
 *  - a PKCS#12 key file (.p12) opened here with its password: node-forge (static/vendor/forge) reads the file,
 *    the private key is imported into Web Cryptography as non-extractable and signs; nothing of the key or
 *    the password is sent;
 *  - NCALayer, the NCA's desktop app, over its local WebSocket (module kz.gov.pki.knca.commonUtils), used
 *    when it answers.
 *
 * Modes:
 *  - "cms":   sign the exact bytes in data-eds-payload (base64) as a detached CMS SignedData (CAdES-BES:
 *             content-type, signing-time, message-digest, signing-certificate-v2); posts eds_cms.
 *  - "pades": a PDF signature prepared by the server (data-eds-prepare): send the certificate, get the
 *             signed attributes (key file: signed here, posts eds_signature_value) or the ByteRange digest
 *             (NCALayer: createCAdESFromBase64Hash, posts eds_cms); then the form is submitted.
 * No inline scripts (the Content-Security-Policy forbids them); texts come from data-eds-messages.
 */
(function () {
  "use strict";

  var OID = {
    data: "1.2.840.113549.1.7.1",
    signedData: "1.2.840.113549.1.7.2",
    contentType: "1.2.840.113549.1.9.3",
    messageDigest: "1.2.840.113549.1.9.4",
    signingTime: "1.2.840.113549.1.9.5",
    signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
    sha256: "2.16.840.1.101.3.4.2.1",
    rsaEncryption: "1.2.840.113549.1.1.1"
  };
  var NCALAYER_MODULE = "kz.gov.pki.knca.commonUtils";
  var NCALAYER_STORAGE = "PKCS12";

  // ---- bytes ------------------------------------------------------------------------------------------

  function bytesToBinary(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i += 0x8000) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return out;
  }
  function binaryToBytes(binary) {
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i) & 0xff; }
    return bytes;
  }
  function b64ToBytes(b64) { return binaryToBytes(window.atob(b64)); }
  function bytesToB64(bytes) { return window.btoa(bytesToBinary(bytes)); }

  function UserError(message) { this.userMessage = message; this.message = message; }

  // ---- DER (forge.asn1) ---------------------------------------------------------------------------------

  function A() { return window.forge.asn1; }
  function node(tagClass, type, constructed, value) { return A().create(tagClass, type, constructed, value); }
  function der(item) { return A().toDer(item).getBytes(); }
  function seq(items) { return node(A().Class.UNIVERSAL, A().Type.SEQUENCE, true, items); }
  function sortedForSet(items) {
    // DER: the elements of a SET OF in ascending order of their encodings
    return items.map(function (item) { return { item: item, der: der(item) }; })
      .sort(function (a, b) { return a.der < b.der ? -1 : (a.der > b.der ? 1 : 0); })
      .map(function (entry) { return entry.item; });
  }
  function set(items) { return node(A().Class.UNIVERSAL, A().Type.SET, true, sortedForSet(items)); }
  function oid(value) { return node(A().Class.UNIVERSAL, A().Type.OID, false, A().oidToDer(value).getBytes()); }
  function octets(binary) { return node(A().Class.UNIVERSAL, A().Type.OCTETSTRING, false, binary); }
  function integer(n) { return node(A().Class.UNIVERSAL, A().Type.INTEGER, false, A().integerToDer(n).getBytes()); }
  function nullValue() { return node(A().Class.UNIVERSAL, A().Type.NULL, false, ""); }
  function utcTime(date) { return node(A().Class.UNIVERSAL, A().Type.UTCTIME, false, A().dateToUtcTime(date)); }
  function attribute(type, value) { return seq([oid(type), set([value])]); }
  function context(tag, items) { return node(A().Class.CONTEXT_SPECIFIC, tag, true, items); }

  async function sha256(bytes) { return new Uint8Array(await window.crypto.subtle.digest("SHA-256", bytes)); }

  function issuerAndSerial(certDer) {
    var tbs = A().fromDer(bytesToBinary(certDer)).value[0];
    var offset = tbs.value[0].tagClass === A().Class.CONTEXT_SPECIFIC ? 1 : 0; // [0] version
    return seq([tbs.value[offset + 2], tbs.value[offset]]); // issuer Name, serialNumber
  }

  /** A detached CMS SignedData over `data`, signed with a Web Cryptography key. */
  async function buildDetachedCms(signer, data) {
    var digest = await sha256(data);
    var certHash = await sha256(signer.certDer);
    var attrs = sortedForSet([
      attribute(OID.contentType, oid(OID.data)),
      attribute(OID.signingTime, utcTime(new Date())),
      attribute(OID.messageDigest, octets(bytesToBinary(digest))),
      attribute(OID.signingCertificateV2, seq([seq([seq([octets(bytesToBinary(certHash))])])]))
    ]);
    var toBeSigned = binaryToBytes(der(node(A().Class.UNIVERSAL, A().Type.SET, true, attrs)));
    var signature = new Uint8Array(await window.crypto.subtle.sign("RSASSA-PKCS1-v1_5", signer.key, toBeSigned));
    var signerInfo = seq([
      integer(1),
      issuerAndSerial(signer.certDer),
      seq([oid(OID.sha256)]),
      context(0, attrs),
      seq([oid(OID.rsaEncryption), nullValue()]),
      octets(bytesToBinary(signature))
    ]);
    var certificates = [signer.certDer].concat(signer.chainDer).map(function (c) { return A().fromDer(bytesToBinary(c)); });
    var signedData = seq([
      integer(1),
      set([seq([oid(OID.sha256)])]),
      seq([oid(OID.data)]),
      context(0, certificates),
      set([signerInfo])
    ]);
    return binaryToBytes(der(seq([oid(OID.signedData), context(0, [signedData])])));
  }

  // ---- the key file ------------------------------------------------------------------------------------

  function certificateDer(cert) {
    return binaryToBytes(der(window.forge.pki.certificateToAsn1(cert)));
  }

  /** Open a PKCS#12 file: the RSA key (as a non-extractable CryptoKey), its certificate and the others. */
  async function openKeyFile(file, password, messages) {
    var forge = window.forge;
    var content = new Uint8Array(await file.arrayBuffer());
    var p12;
    try {
      p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytesToBinary(content)), false, password);
    } catch (e) {
      throw new UserError(messages.badKey);
    }
    var oids = forge.pki.oids;
    var keyBags = (p12.getBags({ bagType: oids.pkcs8ShroudedKeyBag })[oids.pkcs8ShroudedKeyBag] || [])
      .concat(p12.getBags({ bagType: oids.keyBag })[oids.keyBag] || []);
    var certs = (p12.getBags({ bagType: oids.certBag })[oids.certBag] || [])
      .map(function (bag) { return bag.cert; }).filter(Boolean);
    for (var i = 0; i < keyBags.length; i++) {
      var key = keyBags[i].key;
      if (!key || !key.n) { continue; }
      var leaf = certs.filter(function (c) { return c.publicKey && c.publicKey.n && c.publicKey.n.equals(key.n); })[0];
      if (!leaf) { continue; }
      var pkcs8 = der(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key)));
      var cryptoKey = await window.crypto.subtle.importKey(
        "pkcs8", binaryToBytes(pkcs8), { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
      pkcs8 = null;
      return {
        key: cryptoKey,
        certDer: certificateDer(leaf),
        chainDer: certs.filter(function (c) { return c !== leaf; }).map(certificateDer)
      };
    }
    throw new UserError(messages.noSigningKey);
  }

  // ---- NCALayer ----------------------------------------------------------------------------------------

  function NCALayer(url) { this.url = url; this.socket = null; }

  NCALayer.prototype.connect = function (timeoutMs) {
    var self = this;
    return new Promise(function (resolve, reject) {
      var socket;
      try { socket = new WebSocket(self.url); } catch (e) { reject(e); return; }
      var timer = setTimeout(function () { try { socket.close(); } catch (e) { /* closed */ } reject(new Error("timeout")); }, timeoutMs);
      socket.onerror = function () { clearTimeout(timer); reject(new Error("NCALayer is not running")); };
      socket.onmessage = function (message) {
        clearTimeout(timer);
        var answer = {};
        try { answer = JSON.parse(message.data); } catch (e) { /* not NCALayer */ }
        if (answer.result && answer.result.version) { self.socket = socket; resolve(answer.result.version); }
        else { socket.close(); reject(new Error("not NCALayer")); }
      };
    });
  };

  NCALayer.prototype.call = function (method, args) {
    var socket = this.socket;
    return new Promise(function (resolve, reject) {
      if (!socket || socket.readyState !== WebSocket.OPEN) { reject(new Error("NCALayer is not connected")); return; }
      socket.onmessage = function (message) {
        var answer = {};
        try { answer = JSON.parse(message.data); } catch (e) { reject(new Error("bad answer")); return; }
        if (String(answer.code) === "200") { resolve(answer.responseObject); }
        else { reject(new Error(answer.message || ("code " + answer.code))); }
      };
      socket.onclose = function () { reject(new Error("NCALayer closed the connection")); };
      socket.send(JSON.stringify({ module: NCALAYER_MODULE, method: method, args: args }));
    });
  };

  NCALayer.prototype.signData = function (bytes) {
    return this.call("createCAdESFromBase64", [NCALAYER_STORAGE, "SIGNATURE", bytesToB64(bytes), false]);
  };
  NCALayer.prototype.signHash = function (digestB64) {
    return this.call("createCAdESFromBase64Hash", [NCALAYER_STORAGE, "SIGNATURE", digestB64]);
  };
  NCALayer.prototype.certificatePem = function () {
    return this.call("getKeyInfo", [NCALAYER_STORAGE]).then(function (info) { return info && info.pem; });
  };

  // ---- the widget --------------------------------------------------------------------------------------

  function setup(widget) {
    var form = widget.closest("form");
    var mode = widget.getAttribute("data-eds");
    var messages = {};
    try { messages = JSON.parse(widget.getAttribute("data-eds-messages") || "{}"); } catch (e) { /* defaults below */ }
    var status = widget.querySelector("[data-eds-status]");
    var fileInput = widget.querySelector("[data-eds-file]");
    var passwordInput = widget.querySelector("[data-eds-password]");
    var signButton = widget.querySelector("[data-eds-sign]");
    var ncaBox = widget.querySelector("[data-eds-ncalayer-box]");
    var ncaButton = widget.querySelector("[data-eds-ncalayer-sign]");
    var ncalayer = null;

    widget.querySelector("[data-eds-nojs]").hidden = true;
    widget.querySelector("[data-eds-ui]").hidden = false;

    function say(text, isError) {
      status.textContent = text || "";
      status.classList.toggle("is-error", Boolean(isError));
    }
    function busy(on) { signButton.disabled = on; if (ncaButton) { ncaButton.disabled = on; } }
    function field(name) { return form.querySelector('[name="' + name + '"]'); }
    function fail(error, prefix) {
      say(error && error.userMessage ? error.userMessage : (prefix || messages.failed) + " " + ((error && error.message) || ""), true);
      busy(false);
    }

    if (!window.crypto || !window.crypto.subtle || !window.forge) {
      say(messages.noCrypto, true);
      signButton.disabled = true;
    }

    async function prepare(certificates, method) {
      var body = new FormData();
      certificates.forEach(function (c) { body.append("certificate", c); });
      body.append("method", method);
      var token = field("csrfmiddlewaretoken");
      var response = await fetch(widget.getAttribute("data-eds-prepare"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: token ? { "X-CSRFToken": token.value } : {}
      });
      var answer = {};
      try { answer = await response.json(); } catch (e) { /* an error page */ }
      if (!response.ok || !answer.session) { throw new UserError(answer.error || messages.failed + " HTTP " + response.status); }
      return answer;
    }

    function submit(method) {
      field("eds_method").value = method;
      say(messages.sending);
      form.submit();
    }

    signButton.addEventListener("click", async function () {
      var file = fileInput.files && fileInput.files[0];
      if (!file || !passwordInput.value) { say(messages.choose, true); return; }
      busy(true);
      try {
        say(messages.opening);
        var signer = await openKeyFile(file, passwordInput.value, messages);
        passwordInput.value = "";
        if (mode === "cms") {
          say(messages.signing);
          var cms = await buildDetachedCms(signer, b64ToBytes(widget.getAttribute("data-eds-payload")));
          field("eds_cms").value = bytesToB64(cms);
        } else {
          say(messages.preparing);
          var prepared = await prepare([signer.certDer].concat(signer.chainDer).map(bytesToB64), "file");
          say(messages.signing);
          var value = await window.crypto.subtle.sign("RSASSA-PKCS1-v1_5", signer.key, b64ToBytes(prepared.signed_attrs));
          field("eds_session").value = prepared.session;
          field("eds_signature_value").value = bytesToB64(new Uint8Array(value));
        }
        signer = null;
        submit("file");
      } catch (error) {
        fail(error);
      }
    });

    var url = widget.getAttribute("data-eds-ncalayer");
    if (url && ncaButton && window.WebSocket) {
      var candidate = new NCALayer(url);
      candidate.connect(2500).then(function () {
        ncalayer = candidate;
        ncaBox.hidden = false;
      }, function () { /* not installed or not running: the key file path stays */ });
      ncaButton.addEventListener("click", async function () {
        if (!ncalayer) { return; }
        busy(true);
        try {
          say(messages.ncalayerWait);
          if (mode === "cms") {
            field("eds_cms").value = await ncalayer.signData(b64ToBytes(widget.getAttribute("data-eds-payload")));
          } else {
            var pem = await ncalayer.certificatePem();
            say(messages.preparing);
            var prepared = await prepare([pem], "ncalayer");
            say(messages.ncalayerWait);
            field("eds_session").value = prepared.session;
            field("eds_cms").value = await ncalayer.signHash(prepared.document_digest);
          }
          submit("ncalayer");
        } catch (error) {
          fail(error, messages.ncalayerFailed);
        }
      });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-eds]"), setup);
  }

  window.KezekEDS = {
    buildDetachedCms: buildDetachedCms, openKeyFile: openKeyFile, NCALayer: NCALayer,
    b64ToBytes: b64ToBytes, bytesToB64: bytesToB64
  };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
