/* errno.h - error codes returned by IPC and kernel calls (negative). */
#ifndef OS_ERRNO_H
#define OS_ERRNO_H

#define OK            0
#define EPERM        (-1)
#define ENOENT       (-2)
#define ESRCH        (-3)
#define EINTR        (-4)
#define EIO          (-5)
#define E2BIG        (-7)
#define ENOEXEC      (-8)
#define EAGAIN       (-11)
#define ENOMEM       (-12)
#define EFAULT       (-14)
#define EBUSY        (-16)
#define EEXIST       (-17)
#define EINVAL       (-22)
#define ENOSPC       (-28)
#define ENOSYS       (-38)
#define ETIMEDOUT    (-60)
#define EDQUOT       (-122)  /* the caller's own share of a table is used up */
#define ELOST        (-123)  /* saved state may have existed but is lost: not "nothing saved" */
/* IPC-specific, as in MINIX */
#define ELOCKED      (-101)  /* send would deadlock */
#define EBADCALL     (-102)  /* bad IPC call number */
#define ECALLDENIED  (-104)  /* kernel call or destination not allowed */
#define ETRAPDENIED  (-105)  /* IPC trap not allowed */
#define EDEADSRCDST  (-106)  /* source or destination is dead */
#define ENOTREADY    (-109)  /* non-blocking send: destination not waiting */
#define EBADREQUEST  (-110)  /* unknown kernel call */
#define EGARBLED     (-111)  /* a message arrived not as its sender sent it: its
                              * end-to-end check failed (os/lib/libsys/ipc.S) */
#define EDONTREPLY   (-201)  /* internal to servers: do not reply */
#define ERESTART     (-202)  /* init: restart me with a fresh endpoint */

#endif
