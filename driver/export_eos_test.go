package driver

// Crash stops d as if its process died: no commit, no transaction abort, no checkpoint
// file; the task directories keep whatever the stores hold.
func Crash(d *Driver) {
	d.crashed.Store(true)
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.stop()
	<-d.done
}
