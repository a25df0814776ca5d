/* idle.c - what sbx's long-lived processes give back before they wait.
 *
 * Setting up a sandbox runs most of sbx (profiles, plan, mounts, seccomp),
 * and the kernel maps the program's code around every page it faults in
 * (fault-around, 64 KiB): each of sbx's processes ends its setup with
 * nearly all of the program's text and read-only data mapped, about 570
 * KiB, then waits for the command, for seconds or for days, using a few
 * pages of it.  Dropping those mappings (MADV_DONTNEED on a private file
 * mapping that was never written: the file's pages stay in the page cache,
 * only this process's page table entries go) leaves the machine's memory
 * as it was but makes what the process holds what it uses: its RSS and
 * PSS.  What the wait runs is faulted back in (with the 64 KiB around
 * each fault): a handful of minor faults, and a few more when the
 * sandbox ends.
 *
 * Only segments the program file maps read-only or read-execute and that
 * hold no relocated data (never the RELRO part, which is private copies),
 * whole pages within them.
 */
#include "idle.h"

#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

struct range {
	uintptr_t start, end;
};

static int release_main_program(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct range relro = { 0, 0 };

	(void)size;
	(void)arg;
	/* The first object is the program itself (no name); else do nothing. */
	if (info->dlpi_name && info->dlpi_name[0])
		return 1;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
			relro.start = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			relro.end = relro.start + info->dlpi_phdr[i].p_memsz;
		}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || ph->p_memsz != ph->p_filesz)
			continue;
		/* Whole pages inside the segment only: a page shared with a
		 * neighbour could hold that neighbour's private data. */
		start = (start + page - 1) & ~(page - 1);
		end &= ~(page - 1);
		if (end <= start || (relro.end > start && relro.start < end))
			continue;
		madvise((void *)start, end - start, MADV_DONTNEED); // NOLINT(performance-no-int-to-ptr)
	}
	return 1;
}

void idle_release_code(void)
{
	dl_iterate_phdr(release_main_program, NULL);
}
