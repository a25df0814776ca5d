/* doctor.h - sbx doctor: what sandboxes need on this host, and the fixes. */
#ifndef SBX_DOCTOR_H
#define SBX_DOCTOR_H

/* argv[0] is "doctor".  Returns 0 when the default profile runs, 1 when it
 * cannot (a FAIL line says why and how to fix it). */
int doctor_main(int argc, char **argv);

#endif
