/* The Synthetic Video wire format (class da0a7802-e377-4aac-8e77-0558eb1073f8),
 * as Linux 6.1's hyperv_fb speaks it (docs/video.md): inside each in-band
 * VMBus packet a pipe header, a synthvid header, then the message. Both
 * directions use the same framing. Little endian, packed; constants and
 * layouts only. */
#ifndef HV_DEVICES_SYNTHVID_WIRE_H
#define HV_DEVICES_SYNTHVID_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Versions are (minor << 16) | major. */
#define SYNTHVID_VERSION(major, minor) ((uint32_t)(minor) << 16 | (uint32_t)(major))
#define SYNTHVID_VERSION_MAJOR(v)      ((uint32_t)(v)&0xffffu)
#define SYNTHVID_VERSION_MINOR(v)      ((uint32_t)(v) >> 16)
#define SYNTHVID_VERSION_WIN8          SYNTHVID_VERSION(3, 2)
#define SYNTHVID_VERSION_WIN10         SYNTHVID_VERSION(3, 5)

/* VERSION_RESPONSE is_accepted: Linux tests non-zero; 2 is what OpenVMM's
 * host answers ("accepted with version exchange"). */
#define SYNTHVID_REFUSED  0u
#define SYNTHVID_ACCEPTED 2u

/* The pipe header: type DATA, size = bytes after the pipe header. The guest
 * ignores host packets of any other type. */
#define SYNTHVID_PIPE_DATA 1u

struct synthvid_pipe_hdr {
    uint32_t type;
    uint32_t size;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_pipe_hdr) == 8, "synthvid pipe header");

/* size = this header + the message after it. */
struct synthvid_hdr {
    uint32_t type;
    uint32_t size;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_hdr) == 8, "synthvid header");

#define SYNTHVID_HDRS_SIZE (sizeof(struct synthvid_pipe_hdr) + sizeof(struct synthvid_hdr))

/* Message types. 11/12 (BIOS info) and 15/16 (capability) exist in the
 * protocol; Linux never sends them and vmbhv does not serve them. */
#define SYNTHVID_ERROR                0u
#define SYNTHVID_VERSION_REQUEST      1u  /* guest -> host */
#define SYNTHVID_VERSION_RESPONSE     2u  /* host -> guest */
#define SYNTHVID_VRAM_LOCATION        3u  /* guest -> host */
#define SYNTHVID_VRAM_LOCATION_ACK    4u  /* host -> guest */
#define SYNTHVID_SITUATION_UPDATE     5u  /* guest -> host */
#define SYNTHVID_SITUATION_UPDATE_ACK 6u  /* host -> guest (Linux ignores it) */
#define SYNTHVID_POINTER_POSITION     7u  /* guest -> host */
#define SYNTHVID_POINTER_SHAPE        8u  /* guest -> host */
#define SYNTHVID_FEATURE_CHANGE       9u  /* host -> guest */
#define SYNTHVID_DIRT                 10u /* guest -> host */
#define SYNTHVID_BIOS_INFO_REQUEST    11u
#define SYNTHVID_BIOS_INFO_RESPONSE   12u
#define SYNTHVID_RESOLUTION_REQUEST   13u /* guest -> host, version 3.5 */
#define SYNTHVID_RESOLUTION_RESPONSE  14u /* host -> guest */
#define SYNTHVID_CAPABILITY_REQUEST   15u
#define SYNTHVID_CAPABILITY_RESPONSE  16u

struct synthvid_version_req {
    uint32_t version;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_version_req) == 4, "VERSION_REQUEST");

struct synthvid_version_resp {
    uint32_t version;
    uint8_t is_accepted;
    uint8_t max_video_outputs;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_version_resp) == 6, "VERSION_RESPONSE");

#define SYNTHVID_EDID_SIZE       128u
#define SYNTHVID_MAX_RESOLUTIONS 64u /* what Linux asks for, and the most it reads */
#define SYNTHVID_DEPTH           32u /* bits per pixel from version 3.2 on */
#define SYNTHVID_BYTES_PER_PIXEL 4u

struct synthvid_resolution_req {
    uint8_t maximum_resolution_count;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_resolution_req) == 1, "RESOLUTION_REQUEST");

struct synthvid_screen_size {
    uint16_t width;
    uint16_t height;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_screen_size) == 4, "screen size");

/* Followed by resolution_count struct synthvid_screen_size. */
struct synthvid_resolution_resp {
    uint8_t edid[SYNTHVID_EDID_SIZE];
    uint8_t resolution_count;
    uint8_t default_resolution_index;
    uint8_t is_standard;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_resolution_resp) == 131, "RESOLUTION_RESPONSE head");
_Static_assert(offsetof(struct synthvid_resolution_resp, resolution_count) == 128,
               "RESOLUTION_RESPONSE count");

struct synthvid_vram_location {
    uint64_t user_ctx; /* echoed in the ACK; Linux puts the GPA here too */
    uint8_t is_vram_gpa_specified;
    uint64_t vram_gpa; /* unaligned on the wire */
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_vram_location) == 17, "VRAM_LOCATION");
_Static_assert(offsetof(struct synthvid_vram_location, vram_gpa) == 9, "VRAM_LOCATION gpa");

struct synthvid_vram_location_ack {
    uint64_t user_ctx;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_vram_location_ack) == 8, "VRAM_LOCATION_ACK");

struct synthvid_output_situation {
    uint8_t active;
    uint32_t vram_offset; /* of the primary surface; Linux sends 0 */
    uint8_t depth_bits;
    uint32_t width_pixels;
    uint32_t height_pixels;
    uint32_t pitch_bytes;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_output_situation) == 18, "video output situation");

struct synthvid_situation_update {
    uint64_t user_ctx;
    uint8_t video_output_count; /* Linux: 1 */
    struct synthvid_output_situation video_output[1];
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_situation_update) == 27, "SITUATION_UPDATE");
_Static_assert(offsetof(struct synthvid_situation_update, video_output) == 9,
               "SITUATION_UPDATE output");

struct synthvid_situation_update_ack {
    uint64_t user_ctx;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_situation_update_ack) == 8, "SITUATION_UPDATE_ACK");

struct synthvid_pointer_position {
    uint8_t is_visible;
    uint8_t video_output;
    int32_t image_x;
    int32_t image_y;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_pointer_position) == 10, "POINTER_POSITION");

#define SYNTHVID_CURSOR_MAX_X    96u
#define SYNTHVID_CURSOR_MAX_Y    96u
#define SYNTHVID_CURSOR_COMPLETE 0xffu /* part_idx: the whole shape in one message */

/* data: the image (Linux sends a 1x1 ARGB pixel: 4 bytes). */
struct synthvid_pointer_shape {
    uint8_t part_idx;
    uint8_t is_argb;
    uint32_t width;
    uint32_t height;
    uint32_t hot_x;
    uint32_t hot_y;
    uint8_t data[4];
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_pointer_shape) == 22, "POINTER_SHAPE");

struct synthvid_feature_change {
    uint8_t is_dirt_needed;
    uint8_t is_ptr_pos_needed;
    uint8_t is_ptr_shape_needed;
    uint8_t is_situ_needed;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_feature_change) == 4, "FEATURE_CHANGE");

/* x2, y2 exclusive. */
struct synthvid_rect {
    int32_t x1, y1;
    int32_t x2, y2;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_rect) == 16, "rect");

/* Followed by dirt_count struct synthvid_rect (Linux: 1). */
struct synthvid_dirt {
    uint8_t video_output;
    uint8_t dirt_count;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_dirt) == 2, "DIRT head");

/* The largest packet either side sends: Linux's receive buffer. */
#define SYNTHVID_MAX_PACKET 0x4000u

#endif
