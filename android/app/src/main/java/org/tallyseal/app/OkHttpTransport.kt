// The HTTPS transport on Android: the Rust core builds every request and interprets every answer
// (including the tus protocol); OkHttp only moves bytes (TLS, proxies, certificate pinning are
// the platform's business). Called on the sync worker's thread. Not compiled here.

package org.tallyseal.app

import java.io.IOException
import java.util.concurrent.TimeUnit
import okhttp3.MediaType.Companion.toMediaTypeOrNull
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import org.tallyseal.mobile.HttpHeader
import org.tallyseal.mobile.HttpRequest
import org.tallyseal.mobile.HttpResponse
import org.tallyseal.mobile.HttpTransport
import org.tallyseal.mobile.TallysealException

class OkHttpTransport(
    private val client: OkHttpClient = OkHttpClient.Builder()
        .connectTimeout(20, TimeUnit.SECONDS)
        .writeTimeout(60, TimeUnit.SECONDS)
        .readTimeout(60, TimeUnit.SECONDS)
        .retryOnConnectionFailure(false) // the core retries, with backoff, from the server's offset
        .build(),
) : HttpTransport {
    override fun execute(request: HttpRequest): HttpResponse {
        val contentType = request.headers.firstOrNull { it.name.equals("Content-Type", true) }?.value
        val body = when {
            request.method == "GET" || request.method == "HEAD" -> null
            else -> request.body.toRequestBody(contentType?.toMediaTypeOrNull())
        }
        val builder = Request.Builder().url(request.url).method(request.method, body)
        for (h in request.headers) {
            if (!h.name.equals("Content-Length", true)) builder.addHeader(h.name, h.value)
        }
        try {
            client.newCall(builder.build()).execute().use { resp ->
                val headers = resp.headers.map { (k, v) -> HttpHeader(k, v) }
                return HttpResponse(resp.code.toUShort(), headers, resp.body?.bytes() ?: ByteArray(0))
            }
        } catch (e: IOException) {
            throw TallysealException.Network(e.javaClass.simpleName + ": " + (e.message ?: ""))
        }
    }
}
