// Background sync: WorkManager runs this when the network is available; the core decides what
// to send (manifests first, then images from the server's offset) and how long to back off.
// Not compiled here.

package org.tallyseal.app

import android.content.Context
import androidx.work.CoroutineWorker
import androidx.work.WorkerParameters
import java.io.File
import org.tallyseal.mobile.TallysealClient
import org.tallyseal.mobile.TallysealException

class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val dir = File(applicationContext.noBackupFilesDir, "tallyseal").path
        TallysealClient(dir, "tallyseal-android/0.1.0", KeystoreCustody(applicationContext), OkHttpTransport(), null).use { client ->
            return try {
                val summary = client.sync(true)
                // Pending items: WorkManager re-runs us with its own backoff; the core keeps state on disk.
                if (summary.pending > 0u) Result.retry() else Result.success()
            } catch (e: TallysealException.Network) {
                Result.retry()
            } catch (e: TallysealException) {
                Result.failure()
            }
        }
    }
}
