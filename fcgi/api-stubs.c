#include "pwfcgi.h"
int api_patch_comment_list(struct req *r) { return 404; }
int api_patch_comment_detail(struct req *r) { return 404; }
int api_cover_list(struct req *r) { return 404; }
int api_cover_detail(struct req *r) { return 404; }
int api_cover_comment_list(struct req *r) { return 404; }
int api_cover_comment_detail(struct req *r) { return 404; }
int api_check_list(struct req *r) { return 404; }
int api_check_detail(struct req *r) { return 404; }
int api_series_list(struct req *r) { return 404; }
int api_series_detail(struct req *r) { return 404; }
int api_event_list(struct req *r) { return 404; }
