// Kotlin tests of the generated tallyseal bindings, run on the JVM against the host-built
// libtallyseal_mobile and a real server (scripts/kotlin-test.sh starts both). They exercise the
// glue — records, foreign traits, errors, object lifetimes — not the Rust logic again.
//
// Usage: java ... org.tallyseal.tests.TallysealBindingsTestKt <server-info.json> <photo.jpg> <work dir>

package org.tallyseal.tests

import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JHttpRequest
import java.net.http.HttpResponse as JHttpResponse
import java.time.Duration
import java.util.concurrent.atomic.AtomicInteger
import org.tallyseal.mobile.*

// ---------------------------------------------------------------- a tiny test harness

var passed = 0
var failed = 0

fun check(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

fun test(name: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("PASS $name")
    } catch (t: Throwable) {
        failed++
        println("FAIL $name: $t")
        t.printStackTrace(System.out)
    }
}

// ---------------------------------------------------------------- platform implementations

/** Key custody kept in a file, counting calls (the shells use Keystore/Keychain instead). */
class CountingFileCustody(private val file: File) : KeyCustody {
    val loads = AtomicInteger()
    val stores = AtomicInteger()
    override fun loadSeed(): ByteArray? {
        loads.incrementAndGet()
        return if (file.exists()) file.readBytes() else null
    }
    override fun storeSeed(seed: ByteArray) {
        stores.incrementAndGet()
        file.parentFile.mkdirs()
        file.writeBytes(seed)
    }
}

/** Custody that always fails: the error must come back as a typed exception, not a crash. */
class BrokenCustody : KeyCustody {
    override fun loadSeed(): ByteArray? = throw TallysealException.Storage("keystore unavailable")
    override fun storeSeed(seed: ByteArray) = throw TallysealException.Storage("keystore unavailable")
}

/** The transport a shell supplies, here on java.net.http (the Android shell uses OkHttp). */
class JdkTransport : HttpTransport {
    val calls = AtomicInteger()
    private val client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build()
    override fun execute(request: HttpRequest): HttpResponse {
        calls.incrementAndGet()
        val builder = JHttpRequest.newBuilder(URI.create(request.url)).timeout(Duration.ofSeconds(60))
        for (h in request.headers) {
            // The JDK sets these itself and refuses them.
            if (h.name.equals("Content-Length", true) || h.name.equals("Host", true) || h.name.equals("Connection", true)) continue
            builder.header(h.name, h.value)
        }
        val body = if (request.body.isEmpty()) JHttpRequest.BodyPublishers.noBody()
            else JHttpRequest.BodyPublishers.ofByteArray(request.body)
        builder.method(request.method, body)
        val resp = try {
            client.send(builder.build(), JHttpResponse.BodyHandlers.ofByteArray())
        } catch (e: java.io.IOException) {
            throw TallysealException.Network(e.toString())
        }
        val headers = resp.headers().map().flatMap { (k, vs) -> vs.map { HttpHeader(k, it) } }
        return HttpResponse(resp.statusCode().toUShort(), headers, resp.body() ?: ByteArray(0))
    }
}

class RecordingListener : StatusListener {
    val events = java.util.Collections.synchronizedList(mutableListOf<StatusEvent>())
    override fun onEvent(event: StatusEvent) { events.add(event) }
}

// ---------------------------------------------------------------- helpers

data class ServerInfo(val url: String, val codes: List<String>, val packageVkey: String)

fun field(json: String, key: String): String =
    Regex("\"$key\":\"([^\"]*)\"").find(json)?.groupValues?.get(1) ?: error("no $key in server info")

fun readInfo(path: String): ServerInfo {
    val text = File(path).readText()
    val codes = Regex("\"qr_payload\":\"([^\"]*)\"").findAll(text).map { it.groupValues[1] }.toList()
    return ServerInfo(field(text, "url"), codes, field(text, "package_vkey"))
}

val STATION_1 = Fix(31.5204, 74.3587, 8.0, 214.0, "gps", false, System.currentTimeMillis() - 1000, null)

fun goodFigures() = Form45Input(
    registered = Counts(1450u, 0u, 0u),
    polled = Counts(792u, 0u, 0u),
    candidateVotes = listOf(412u, 268u, 61u, 37u),
    totalValid = 778u, rejected = 14u, totalPolled = 792u,
)

// ---------------------------------------------------------------- tests

fun main(args: Array<String>) {
    val info = readInfo(args[0])
    val photo = File(args[1]).readBytes()
    val work = File(args[2])
    var nextCode = 0
    fun code() = info.codes[nextCode++]

    test("enrol, custody callback invoked, station from the verified package") {
        val custody = CountingFileCustody(File(work, "a/seed"))
        TallysealClient(File(work, "a").path, "kotlin-test/1", custody, null, null).use { client ->
            val enrolment = client.enrol(code(), "PO Kotlin", null)
            check(enrolment.station == 1u) { "station ${enrolment.station}" }
            check(enrolment.constituency == "NA-128") { enrolment.constituency }
            check(enrolment.deviceKey == client.deviceKey()) { "device key" }
            check(custody.stores.get() == 1) { "storeSeed called ${custody.stores.get()} times" }
            check(custody.loads.get() >= 1) { "loadSeed never called" }
            check(File(work, "a/seed").readBytes().size == 32) { "seed size" }
            val station = client.station()
            check(station.candidates.size == 4 && station.candidates[0].ballotNo == 1u) { "candidates ${station.candidates}" }
            check(station.stationType == "male") { station.stationType }
        }
    }

    test("figures are checked as typed") {
        TallysealClient(File(work, "a").path, "kotlin-test/1", CountingFileCustody(File(work, "a/seed")), null, null).use { client ->
            check(client.checkFigures(goodFigures()).isEmpty()) { "good figures flagged" }
            val bad = goodFigures().copy(totalValid = 700u)
            val problems = client.checkFigures(bad)
            check(problems.isNotEmpty()) { "bad sum not flagged" }
            println("  figure problem: ${problems[0].rule}: ${problems[0].detail}")
        }
    }

    test("capture, sync through the default transport, read and check the receipt") {
        val listener = RecordingListener()
        TallysealClient(File(work, "a").path, "kotlin-test/1", CountingFileCustody(File(work, "a/seed")), null, listener).use { client ->
            val result = client.capture(CaptureRequest(goodFigures(), listOf(Page(photo, "image/jpeg", STATION_1)), null, null))
            check(result.pages.size == 1) { "pages" }
            val page = result.pages[0]
            check(page.manifestHash.length == 64) { page.manifestHash }
            check(page.agentCopy.startsWith("tallyseal:agent-copy?v=1&")) { page.agentCopy }
            println("  self-check ${page.verdict}: ${page.findings.map { it.check + "=" + it.outcome }}")
            // Durable before anything is sent.
            val before = client.outbox().single { it.manifestHash == page.manifestHash }
            check(before.stage == ItemStage.SEALED) { "stage ${before.stage}" }
            var summary = client.sync(true)
            var rounds = 0
            while (summary.pending > 0u && rounds++ < 20) { Thread.sleep(200); summary = client.sync(true) }
            check(summary.pending == 0u && summary.needsAttention == 0u && summary.unreadable == 0u) { "summary $summary" }
            val entry = client.outbox().single { it.manifestHash == page.manifestHash }
            check(entry.stage == ItemStage.VERIFIED) { "stage ${entry.stage}" }
            check(entry.receiptStatus == "verified") { "receipt status ${entry.receiptStatus}" }
            val receipt = entry.receiptJson ?: error("no receipt")
            check(receipt.contains(page.manifestHash)) { "receipt is for another manifest: $receipt" }
            check(entry.uploadedBytes == photo.size.toULong()) { "uploaded ${entry.uploadedBytes}" }
            val bundle = client.bundle(entry.seq)
            check(String(bundle, 0, 8) == "TSBUNDLE") { "bundle magic" }
            check(bundle.size > photo.size) { "bundle keeps the image" }
            check(listener.events.any { it is StatusEvent.StageChanged && it.stage == ItemStage.VERIFIED }) { "no verified event: ${listener.events}" }
            check(listener.events.any { it is StatusEvent.Progress }) { "no progress event" }
            // What the server says later: no recapture was asked for; a log inclusion, once the
            // server's log has the capture, is this capture's leaf and a C2SP tlog-proof.
            check(summary.recapturesPending == 0u) { "summary $summary" }
            check(client.recaptureRequests().isEmpty()) { "recapture requests ${client.recaptureRequests()}" }
            client.logInclusion(entry.seq)?.let { log ->
                check(log.leaf.startsWith("tallyseal-log-leaf/v1\n") && log.leaf.contains(page.manifestHash)) { log.leaf }
                check(log.proof.startsWith("c2sp.org/tlog-proof@v1\n")) { log.proof }
            }
            try {
                client.recapture(entry.seq, CaptureRequest(null, listOf(Page(photo, "image/jpeg", STATION_1)), null, null))
                throw AssertionError("a recapture nobody asked for succeeded")
            } catch (e: TallysealException.InvalidInput) {
                check(e.reason.contains("no recapture was requested")) { e.reason }
            }
            check(client.outbox().size == 1) { "the refused recapture sealed something" }
            client.clear(entry.seq)
            check(client.outbox().none { it.seq == entry.seq }) { "cleared item still listed" }
        }
    }

    test("a Kotlin transport (the shells' path) carries enrolment, manifest and tus upload") {
        val transport = JdkTransport()
        TallysealClient(File(work, "b").path, "kotlin-test/1", CountingFileCustody(File(work, "b/seed")), transport, null).use { client ->
            client.updateSettings(client.settings().copy(chunkBytes = 16384uL, patchChecksum = true, trustedPackageKeys = listOf(info.packageVkey)))
            val enrolment = client.enrol(code(), "PO Kotlin B", null)
            check(enrolment.packageTrust == "pinned") { enrolment.packageTrust }
            client.capture(CaptureRequest(null, listOf(Page(photo, "image/jpeg", STATION_1)), null, null))
            var summary = client.sync(true)
            var rounds = 0
            while (summary.pending > 0u && rounds++ < 20) { Thread.sleep(200); summary = client.sync(true) }
            check(summary.verified == 1u) { "summary $summary" }
            check(transport.calls.get() >= 2 + photo.size / 16384) { "transport calls ${transport.calls.get()}" }
        }
    }

    test("a bad enrolment code is a typed server exception") {
        TallysealClient(File(work, "c").path, "kotlin-test/1", CountingFileCustody(File(work, "c/seed")), null, null).use { client ->
            try {
                client.enrol("tallyseal:enrol?server=${info.url}&election=pk-ge-2024-demo&code=AAAA-BBBB-CCCC", "PO", null)
                throw AssertionError("enrolment with a bad code succeeded")
            } catch (e: TallysealException.Server) {
                check(e.problemType == "unknown-code") { "problem ${e.problemType}" }
                check(e.status == 403.toUShort()) { "status ${e.status}" }
            }
            try {
                client.capture(CaptureRequest(null, listOf(Page(photo, "image/jpeg", null)), null, null))
                throw AssertionError("capture without enrolment succeeded")
            } catch (e: TallysealException.InvalidInput) {
                check(e.reason.contains("not enrolled")) { e.reason }
            }
        }
    }

    test("no server: network exception; failing custody: typed exception, no crash") {
        TallysealClient(File(work, "d").path, "kotlin-test/1", CountingFileCustody(File(work, "d/seed")), null, null).use { client ->
            try {
                client.enrol("ABCD-EFGH-JKLM", "PO", "http://127.0.0.1:9")
                throw AssertionError("enrolment without a server succeeded")
            } catch (e: TallysealException.Network) {
                println("  network: ${e.reason}")
            }
        }
        TallysealClient(File(work, "e").path, "kotlin-test/1", BrokenCustody(), null, null).use { client ->
            try {
                client.deviceKey()
                throw AssertionError("device key without custody")
            } catch (e: TallysealException.Other) {
                check(e.reason.contains("keystore unavailable")) { e.reason }
            }
        }
    }

    println("$passed passed, $failed failed")
    kotlin.system.exitProcess(if (failed == 0) 0 else 1)
}
