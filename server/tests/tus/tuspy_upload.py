"""Upload an image to a tallyseal server with tuspy, the reference Python tus client.

usage: tuspy_upload.py <server base URL> <image file> <manifest hash hex> <upload auth hex>

First checks that a client without the device's upload authorisation is refused (403). Then
uploads the first chunk, drops that uploader and resumes with a fresh one from the server's offset
(HEAD), as a phone would after losing its connection. Prints the final offset.
"""

import sys

from tusclient import client
from tusclient.exceptions import TusCommunicationError

base, path, manifest_hash, auth = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]

stranger = client.TusClient(base + "/api/v1/uploads")
try:
    stranger.uploader(path, chunk_size=64 * 1024, metadata={"manifest_hash": manifest_hash}).upload_chunk()
    sys.exit("an upload without Tallyseal-Upload-Auth was accepted")
except TusCommunicationError as e:
    if e.status_code != 403:
        sys.exit("without Tallyseal-Upload-Auth: expected 403, got %r" % e.status_code)
    print("refused without authorisation", e.status_code, flush=True)

tus = client.TusClient(base + "/api/v1/uploads", headers={"Tallyseal-Upload-Auth": auth})

first = tus.uploader(
    path, chunk_size=64 * 1024, metadata={"manifest_hash": manifest_hash}, upload_checksum=True
)
first.upload_chunk()  # creates the upload, sends one chunk with a sha1 Upload-Checksum
url = first.url
print("created", url, "offset", first.offset, flush=True)

resumed = tus.uploader(path, url=url, chunk_size=64 * 1024, upload_checksum=True)
print("resuming at", resumed.offset, flush=True)
if resumed.offset != 64 * 1024:
    sys.exit("server offset after one chunk should be 65536, got %d" % resumed.offset)
resumed.upload()
print("done", resumed.offset, flush=True)
