// The HTTPS transport on iOS: the Rust core builds every request (including tus) and interprets
// every answer; URLSession only moves bytes. The core calls this from a background thread, so
// blocking on a semaphore is fine. Not compiled here (no Xcode).

import Foundation

final class URLSessionTransport: HttpTransport {
    private let session: URLSession

    init(session: URLSession = URLSession(configuration: .ephemeral)) {
        self.session = session
    }

    func execute(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw TallysealError.InvalidInput(reason: "bad URL")
        }
        var req = URLRequest(url: url, timeoutInterval: 60)
        req.httpMethod = request.method
        for h in request.headers where h.name.lowercased() != "content-length" {
            req.addValue(h.value, forHTTPHeaderField: h.name)
        }
        if !request.body.isEmpty { req.httpBody = request.body }
        let done = DispatchSemaphore(value: 0)
        var result: Result<(Data, HTTPURLResponse), Error>?
        session.dataTask(with: req) { data, response, error in
            if let error = error {
                result = .failure(error)
            } else if let http = response as? HTTPURLResponse {
                result = .success((data ?? Data(), http))
            } else {
                result = .failure(URLError(.badServerResponse))
            }
            done.signal()
        }.resume()
        done.wait()
        switch result {
        case .success(let (data, http))?:
            let headers = http.allHeaderFields.map { HttpHeader(name: "\($0.key)", value: "\($0.value)") }
            return HttpResponse(status: UInt16(http.statusCode), headers: headers, body: data)
        case .failure(let error)?:
            throw TallysealError.Network(reason: "\(error)")
        case nil:
            throw TallysealError.Network(reason: "no answer")
        }
    }
}
