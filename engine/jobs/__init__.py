"""Background jobs, whatever runs in them: the job folder (folder), its JSON files (jsonfiles),
starting the process (launch), whether it lives and recovering dead ones (liveness), ids
(ids), waiting for the end (wait), taking turns on a GPU (device_lock)."""
